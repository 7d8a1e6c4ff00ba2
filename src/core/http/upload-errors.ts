import { AppError } from '../errors/app-error.js';

/** Multer's limits on every upload route (the file itself is capped by MAX_UPLOAD_BYTES). */
export const MULTIPART_LIMITS = { files: 1, fields: 8, parts: 10, headerPairs: 100, fieldNameSize: 100, fieldSize: 64 * 1024 } as const;

/**
 * What went wrong while a multipart upload was read, said to the client: 413 for size,
 * 400 for anything malformed or beyond the part limits. Errors of our own (an AppError)
 * pass as they are; system errors (a full disk: `ENOSPC`) are ours, so they are returned
 * unchanged and become a 500.
 */
export function uploadError(err: unknown, field: string, maxBytes: number): unknown {
  if (err instanceof AppError) return err;
  if (typeof err !== 'object' || err === null) return err;
  const { name, code, message } = err as { name?: unknown; code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(err);
  if (name === 'MulterError' && typeof code === 'string') return multerError(code, (err as { field?: string }).field, field, maxBytes);
  // Node's own errors (ENOSPC, EACCES...) carry an uppercase code: not the client's fault.
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return err;
  if (/^Request (aborted|closed)$/.test(text)) return AppError.badRequest('request_aborted', 'The request ended before the upload was complete');
  // Anything else comes from busboy parsing the body ("Unexpected end of form", "Malformed part header"...).
  return AppError.badRequest('invalid_multipart', `The multipart body could not be read (${text}); send multipart/form-data with the file in the field "${field}"`);
}

function multerError(code: string, partField: string | undefined, field: string, maxBytes: number): AppError {
  switch (code) {
    case 'LIMIT_FILE_SIZE':
      return AppError.tooLarge(`The file is too large: this server accepts files of at most ${maxBytes} bytes`);
    case 'LIMIT_UNEXPECTED_FILE':
      return AppError.badRequest('bad_request', `Unexpected file field "${partField ?? ''}": send the file in the multipart field "${field}"`);
    case 'LIMIT_FILE_COUNT':
      return AppError.badRequest('invalid_multipart', `Send one file, in the multipart field "${field}"`);
    case 'LIMIT_PART_COUNT':
      return AppError.badRequest('invalid_multipart', `The multipart body has more than ${MULTIPART_LIMITS.parts} parts; send one file in the field "${field}"`);
    case 'LIMIT_FIELD_COUNT':
      return AppError.badRequest('invalid_multipart', `The multipart body has more than ${MULTIPART_LIMITS.fields} fields besides the file`);
    case 'LIMIT_FIELD_KEY':
      return AppError.badRequest('invalid_multipart', `A multipart field name is longer than ${MULTIPART_LIMITS.fieldNameSize} characters`);
    case 'LIMIT_FIELD_VALUE':
      return AppError.badRequest('invalid_multipart', `The multipart field "${partField ?? ''}" is longer than ${MULTIPART_LIMITS.fieldSize} bytes; only the file may be large`);
    default:
      return AppError.badRequest('invalid_multipart', `The multipart body is not acceptable (${code.toLowerCase().replace(/_/g, ' ')}); send one file in the field "${field}"`);
  }
}
