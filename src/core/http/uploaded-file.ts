/**
 * An uploaded file as an upload route's handler gets it (`@UploadedFile()`): already on
 * disk, counted and hashed while it streamed in, never held in memory. The file is removed
 * when the request ends, whatever the outcome; copy it (StoragePort.put from a stream)
 * before returning. `originalname` is the client's and is never used as a storage key.
 */
export interface UploadedFile {
  fieldname: string;
  originalname: string;
  mimetype: string;
  /** The temp file under UPLOAD_TMP_DIR. */
  path: string;
  /** Bytes received (at most MAX_UPLOAD_BYTES). */
  size: number;
  /** Hex SHA-256 of the bytes received. */
  sha256: string;
}
