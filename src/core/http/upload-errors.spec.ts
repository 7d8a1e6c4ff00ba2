import { AppError } from '../errors/app-error.js';
import { uploadError } from './upload-errors.js';

/** What multer hands over: a MulterError is a plain Error with a name, a code and maybe a field. */
function multerError(code: string, field?: string): Error {
  return Object.assign(new Error(code), { name: 'MulterError', code, field });
}

describe('uploadError', () => {
  it.each<[string, unknown, number, string, RegExp]>([
    ['a file over the ceiling', multerError('LIMIT_FILE_SIZE', 'file'), 413, 'payload_too_large', /too large: this server accepts files of at most 1000 bytes/],
    ['a file in another field', multerError('LIMIT_UNEXPECTED_FILE', 'data'), 400, 'bad_request', /Unexpected file field "data": send the file in the multipart field "file"/],
    ['two files', multerError('LIMIT_FILE_COUNT'), 400, 'invalid_multipart', /Send one file/],
    ['too many parts', multerError('LIMIT_PART_COUNT'), 400, 'invalid_multipart', /more than 10 parts/],
    ['too many fields', multerError('LIMIT_FIELD_COUNT'), 400, 'invalid_multipart', /more than 8 fields/],
    ['a long field value', multerError('LIMIT_FIELD_VALUE', 'note'), 400, 'invalid_multipart', /"note" is longer than 65536 bytes/],
    ['an unknown multer code', multerError('LIMIT_FIELD_NESTING'), 400, 'invalid_multipart', /limit field nesting/],
    ['a truncated body', new Error('Unexpected end of form'), 400, 'invalid_multipart', /could not be read \(Unexpected end of form\)/],
    ['a missing boundary', new Error('Multipart: Boundary not found'), 400, 'invalid_multipart', /Boundary not found.*field "file"/],
    ['a client gone', new Error('Request aborted'), 400, 'request_aborted', /ended before/],
  ])('%s', (_name, err, status, code, message) => {
    const mapped = uploadError(err, 'file', 1000);
    expect(mapped).toBeInstanceOf(AppError);
    expect(mapped).toMatchObject({ status, code });
    expect((mapped as AppError).message).toMatch(message);
  });

  it('passes our own errors through', () => {
    const own = AppError.tooLarge('too big');
    expect(uploadError(own, 'file', 1000)).toBe(own);
  });

  it('leaves system errors alone: a full disk is our fault (500), not the client\'s', () => {
    const full = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    expect(uploadError(full, 'file', 1000)).toBe(full);
  });
});
