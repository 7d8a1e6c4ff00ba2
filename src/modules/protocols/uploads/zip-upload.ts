import zlib from 'node:zlib';
import type { Readable } from 'node:stream';
import yauzl, { type Entry, type ZipFile as YauzlZipFile } from 'yauzl';
import { AppError, type ErrorDetail } from '../../../core/errors/app-error.js';
import { throwProblems } from '../csv-upload.js';

/** What one uploaded zip may hold. Sizes are uncompressed bytes. */
export interface ZipLimits {
  /** Entries in the central directory, folders and skipped junk included. */
  maxEntries: number;
  /** Sum of the sizes of the files returned. */
  maxTotalBytes: number;
  /** Size of any one file returned. */
  maxEntryBytes: number;
}

export interface ZipFile {
  /** The normalized path inside the zip, e.g. "3/img_001.png": "/" separators, no empty or "." segments. */
  name: string;
  bytes: Buffer;
}

/** Folders and files that archivers add on their own (macOS, Windows); skipped, never inflated. */
const JUNK_FOLDERS = new Set(['__MACOSX']);
const JUNK_FILES = new Set(['.DS_Store', 'Thumbs.db', 'desktop.ini']);

// The Unix file type, in the high 16 bits of an entry's external attributes.
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

const STORED = 0;
const DEFLATED = 8;

/** Entries declared at most this large inflate synchronously: well under a millisecond each. */
const INLINE_MAX_BYTES = 64 * 1024;

/** True when the bytes start like a zip: a local file header, or the end record of an empty zip. */
export function isZip(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

/**
 * Reads an uploaded zip in memory and returns its files (not folders, not macOS/Windows
 * junk) in archive order. Everything that can be checked from the central directory is
 * checked before a byte is inflated:
 * - not a zip, damaged (unreadable directory, bad deflate data, CRC mismatch) → 400;
 * - unsafe names (absolute, "..", backslashes, control characters), symbolic links,
 *   encrypted entries, compression other than stored/deflate, duplicate names → one 422
 *   listing every such entry;
 * - more than `maxEntries` entries, a declared size over `maxEntryBytes`, declared sizes
 *   adding up to more than `maxTotalBytes` → 413 naming the entry and the limit.
 * While inflating, no entry gets past the size its header declares (so, past the limits):
 * small entries inflate in one zlib call capped there, larger ones stream through yauzl,
 * whose entry-size validation stops them there, and their bytes are counted against the
 * limits again. A header that declares less than the data holds is a 413.
 */
export async function readZipUpload(bytes: Buffer, limits: ZipLimits): Promise<ZipFile[]> {
  if (!isZip(bytes)) {
    throw AppError.badRequest('not_zip', `The upload is not a zip file${formatHint(bytes)}; upload a .zip archive of your files`);
  }
  let zip: YauzlZipFile;
  try {
    // decodeStrings: false so that a bad name is ours to report (a 422 naming the entry)
    // rather than an error event that ends the listing; names go through yauzl's own
    // decoding and validation below.
    zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true });
  } catch (e) {
    throw damaged(e);
  }
  try {
    if (zip.entryCount > limits.maxEntries) {
      throw tooLarge(`The zip holds ${zip.entryCount} entries (files and folders); at most ${limits.maxEntries} are allowed. Remove files or split the upload`);
    }
    const kept = await listEntries(zip, limits);
    const files: ZipFile[] = [];
    let total = 0;
    for (const { name, entry } of kept) {
      const data = await inflate(zip, bytes, entry, name, limits, total);
      total += data.length;
      files.push({ name, bytes: data });
    }
    return files;
  } finally {
    zip.close();
  }
}

interface KeptEntry {
  name: string;
  entry: Entry;
}

/** Walks the central directory: the 422 problems are collected, a 413 stops at once. */
async function listEntries(zip: YauzlZipFile, limits: ZipLimits): Promise<KeptEntry[]> {
  const kept: KeptEntry[] = [];
  const problems: ErrorDetail[] = [];
  const seen = new Map<string, string>();
  let declared = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      const raw = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
      const unsafe = unsafeName(raw);
      if (unsafe) {
        problems.push({ file: shown(raw), message: `${quote(raw)} ${unsafe}` });
        continue;
      }
      const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
      const segments = raw.split('/').filter((s) => s !== '' && s !== '.');
      if (raw.endsWith('/') || mode === S_IFDIR || isJunk(segments)) continue;
      const name = segments.join('/');
      const problem = entryProblem(entry, mode, name);
      if (problem) {
        problems.push({ file: shown(name), message: `${quote(name)} ${problem}` });
        continue;
      }
      const first = seen.get(name);
      if (first !== undefined) {
        const as = first === raw ? '' : ` (as ${quote(first)} and ${quote(raw)})`;
        problems.push({ file: shown(name), message: `${quote(name)} appears twice in the zip${as}; keep one copy` });
        continue;
      }
      seen.set(name, raw);
      if (entry.uncompressedSize > limits.maxEntryBytes) {
        throw tooLarge(`${quote(name)} inflates to ${entry.uncompressedSize} bytes; at most ${limits.maxEntryBytes} bytes are allowed per file. Remove or shrink it`, name);
      }
      declared += entry.uncompressedSize;
      if (declared > limits.maxTotalBytes) {
        throw tooLarge(`The files in the zip inflate to more than ${limits.maxTotalBytes} bytes in total (the limit is passed at ${quote(name)}); remove files or split the upload`, name);
      }
      kept.push({ name, entry });
    }
  } catch (e) {
    throw e instanceof AppError ? e : damaged(e);
  }
  throwProblems('invalid_zip_entries', 'The zip cannot be accepted', problems);
  return kept;
}

/** Why a name must not be used, from yauzl's validation plus control characters; null if safe. */
function unsafeName(raw: string): string | null {
  if (raw === '') return 'has an empty name; re-create the zip from your folder';
  // eslint-disable-next-line no-control-regex
  const why = yauzl.validateFileName(raw) ?? (/[\u0000-\u001f\u007f]/.test(raw) ? 'control characters in the name' : null);
  if (why === null) return null;
  return `is not a safe path inside the zip (${why.replace(/: .*$/s, '')}); names must be relative, use "/" and never "..", like "3/img_001.png". Re-create the zip from inside your data folder`;
}

function isJunk(segments: string[]): boolean {
  const base = segments[segments.length - 1] ?? '';
  return segments.some((s) => JUNK_FOLDERS.has(s)) || JUNK_FILES.has(base) || base.startsWith('._');
}

function entryProblem(entry: Entry, mode: number, name: string): string | null {
  if (mode === S_IFLNK) return 'is a symbolic link; links are not accepted, zip the files themselves (e.g. `zip -r` without `-y`)';
  if (entry.isEncrypted()) return 'is password-protected; upload a zip without a password';
  if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATED) {
    return `is compressed with method ${entry.compressionMethod}, which is not supported; re-create the zip with standard (deflate) compression`;
  }
  return name === '' ? 'has an empty name' : null;
}

/**
 * The entry's bytes, never more than its declared size inflated, checked against its size
 * and CRC-32. Small entries inflate in one synchronous call hard-capped at the declared size
 * (a stream per entry costs a thread-pool round trip and three stream objects: 8 times
 * slower on 5,000 images); larger ones stream through yauzl, counted chunk by chunk, so the
 * event loop is never held for long.
 */
async function inflate(zip: YauzlZipFile, bytes: Buffer, entry: Entry, name: string, limits: ZipLimits, totalBefore: number): Promise<Buffer> {
  const data = entry.uncompressedSize <= INLINE_MAX_BYTES ? await inflateInline(zip, bytes, entry, name, limits) : await inflateStream(zip, entry, name, limits, totalBefore);
  if (data.length !== entry.uncompressedSize) {
    throw damaged(new Error(`${data.length} bytes where the header declares ${entry.uncompressedSize}`), name);
  }
  if (zlib.crc32(data) !== entry.crc32) throw damaged(new Error('CRC-32 checksum mismatch'), name);
  return data;
}

async function inflateInline(zip: YauzlZipFile, bytes: Buffer, entry: Entry, name: string, limits: ZipLimits): Promise<Buffer> {
  let start: number;
  try {
    // yauzl checks the local header's signature and that the data lies inside the file.
    ({ fileDataStart: start } = await zip.readLocalFileHeaderPromise(entry, { minimal: true }));
  } catch (e) {
    throw damaged(e, name);
  }
  const stored = bytes.subarray(start, start + entry.compressedSize);
  if (entry.compressionMethod === STORED) return stored;
  try {
    return zlib.inflateRawSync(stored, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw headerLies(entry, name, limits);
    throw damaged(e, name);
  }
}

async function inflateStream(zip: YauzlZipFile, entry: Entry, name: string, limits: ZipLimits, totalBefore: number): Promise<Buffer> {
  let stream: Readable;
  try {
    stream = await zip.openReadStreamPromise(entry);
  } catch (e) {
    throw damaged(e, name);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      // Cannot trip while yauzl holds entries to their declared sizes (checked against
      // the same limits); kept so that the limits never rest on that alone.
      size += chunk.length;
      if (size > limits.maxEntryBytes) {
        throw tooLarge(`${quote(name)} inflates to more than ${limits.maxEntryBytes} bytes, the limit per file. Remove or shrink it`, name);
      }
      if (totalBefore + size > limits.maxTotalBytes) {
        throw tooLarge(`The files in the zip inflate to more than ${limits.maxTotalBytes} bytes in total (the limit is passed at ${quote(name)}); remove files or split the upload`, name);
      }
      chunks.push(chunk);
    }
  } catch (e) {
    stream.destroy();
    if (e instanceof AppError) throw e;
    // yauzl's entry-size validation: the data inflates past the size in the header.
    if (e instanceof Error && e.message.startsWith('too many bytes')) throw headerLies(entry, name, limits);
    throw damaged(e, name);
  }
  return Buffer.concat(chunks, size);
}

function headerLies(entry: Entry, name: string, limits: ZipLimits): AppError {
  return tooLarge(
    `${quote(name)} inflates to more than the ${entry.uncompressedSize} bytes its header declares, so the zip is damaged or crafted ` +
      `(limits: ${limits.maxEntryBytes} bytes per file, ${limits.maxTotalBytes} in total). Re-create it with a standard zip tool`,
    name,
  );
}

function tooLarge(message: string, file?: string): AppError {
  return new AppError(413, 'payload_too_large', message, file === undefined ? [] : [{ file: shown(file), message }]);
}

function damaged(e: unknown, file?: string): AppError {
  const why = e instanceof Error ? e.message : String(e);
  if (file === undefined) {
    return AppError.badRequest('invalid_zip', `The zip file is damaged or truncated (${why}); re-create it with a standard zip tool and upload it again`);
  }
  return AppError.badRequest('invalid_zip', `${quote(file)} in the zip is damaged (${why}); re-create the zip and upload it again`, [{ file: shown(file), message: why }]);
}

/** What the bytes look like when they are not a zip, for the message. */
function formatHint(bytes: Buffer): string {
  if (bytes.length === 0) return ' (it is empty)';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return ' (it is gzip-compressed, e.g. .gz or .tar.gz)';
  if (bytes.subarray(0, 4).toString('latin1') === 'Rar!') return ' (it is a RAR archive)';
  if (bytes.subarray(0, 2).toString('latin1') === '7z') return ' (it is a 7-Zip archive)';
  return '';
}

const MAX_NAME_CHARS = 200;

function shown(name: string): string {
  return name.length > MAX_NAME_CHARS ? `${name.slice(0, MAX_NAME_CHARS - 3)}...` : name;
}

/** A name for a message: quoted, escaped (names may hold anything), cut when long. */
function quote(name: string): string {
  return JSON.stringify(shown(name));
}
