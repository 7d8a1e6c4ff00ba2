/**
 * Multer's limits for every upload route. The per-challenge size cap is checked after
 * parsing; this is the hard ceiling, set from MAX_UPLOAD_BYTES at start.
 */
export const UPLOAD_LIMITS = { fileSize: 64 * 1024 * 1024, files: 1, fields: 8, parts: 10, headerPairs: 100 };

export function setUploadCeiling(bytes: number): void {
  UPLOAD_LIMITS.fileSize = bytes;
}
