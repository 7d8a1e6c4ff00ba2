import { constants as fsConstants } from 'node:fs';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { parseDocument } from 'yaml';
import yauzl, { type Entry, type ZipFile as YauzlZipFile } from 'yauzl';
import { AppError, type ErrorDetail } from '../../core/errors/app-error.js';

/**
 * Safe extraction of the challenge bundle an organizer uploads: a zip, a tar or a tar.gz
 * of the challenge folder. The archive is hostile until proven otherwise: names, entry
 * types, counts and sizes are checked before anything is written, and the bytes are
 * counted again as they are written (headers can lie; a zip bomb's do).
 */

/** What one uploaded bundle may extract to. Sizes are bytes written to disk. */
export interface BundleLimits {
  /** Entries (files, folders, skipped junk) in the archive. */
  maxEntries: number;
  /** All files together. */
  maxBytes: number;
  /** Any one file. */
  maxEntryBytes: number;
}

export type ArchiveFormat = 'zip' | 'tar' | 'tar.gz';

export interface ExtractOptions {
  /**
   * The name of the folder the bundle lands in (loadBundle checks that challenge.yaml's
   * slug equals it). Default: the slug challenge.yaml declares, when it is a valid slug,
   * else "bundle".
   */
  folderName?: string;
  /** Where the temporary folder is made. Default: the OS temp dir. */
  tempRoot?: string;
}

export interface ExtractedBundle {
  /** The bundle folder: challenge.yaml and the rest at its top. */
  dir: string;
  format: ArchiveFormat;
  /** Files written and their bytes. */
  files: number;
  bytes: number;
  /** The single top-level folder every entry sat under, removed from the paths. */
  strippedFolder?: string;
  /** Removes everything extracted. Safe to call more than once. */
  cleanup(): Promise<void>;
}

const CODE = 'invalid_bundle';

/** Folders and files that archivers add on their own (macOS, Windows); skipped, never written. */
const JUNK_FOLDERS = new Set(['__MACOSX']);
const JUNK_FILES = new Set(['.DS_Store', 'Thumbs.db', 'desktop.ini']);

const MAX_NAME_BYTES = 1024;
const MAX_SEGMENT_BYTES = 255;
const SLUG = /^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/;
/** Not a valid slug, so a slug read from challenge.yaml can never collide with it. */
const STAGING = '.extracting';

// The Unix file type, in the high 16 bits of a zip entry's external attributes.
const S_IFMT = 0o170000;
const S_IFIFO = 0o010000;
const S_IFCHR = 0o020000;
const S_IFDIR = 0o040000;
const S_IFBLK = 0o060000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFSOCK = 0o140000;

const ZIP_STORED = 0;
const ZIP_DEFLATED = 8;

/** Only ever a new regular file: never through a link, never over something already there. */
const WRITE_FLAGS = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW;

/** Reads the archive's first bytes and names its format, or null when it is none of ours. */
export async function detectArchiveFormat(archivePath: string): Promise<ArchiveFormat | null> {
  return formatOf(await head(archivePath));
}

/**
 * Extracts an uploaded bundle archive into a fresh temporary folder and returns it.
 * The format comes from the magic bytes, never the file name. Refused with a 422
 * `invalid_bundle` whose details name the entries: anything but a zip, tar or tar.gz;
 * absolute names, "..", backslashes, control characters; links, devices, FIFOs;
 * duplicate names; more than `maxEntries` entries; a file over `maxEntryBytes` or all
 * of them over `maxBytes` (counted as written); damaged data. When every entry sits under
 * one top-level folder, that folder is stripped. On any failure nothing is left behind.
 */
export async function extractBundle(archivePath: string, limits: BundleLimits, options: ExtractOptions = {}): Promise<ExtractedBundle> {
  const format = formatOf(await head(archivePath));
  if (format === null) {
    throw AppError.unprocessable(CODE, `The bundle is not a zip, tar or tar.gz archive${await formatHint(archivePath)}; upload the challenge folder as a .zip, .tar or .tar.gz`);
  }
  if (options.folderName !== undefined && !isPlainName(options.folderName)) {
    throw new Error(`extractBundle: folderName must be a plain folder name, got ${JSON.stringify(options.folderName)}`);
  }
  const root = await mkdtemp(join(options.tempRoot ?? tmpdir(), 'sieve-bundle-'));
  const cleanup = () => rm(root, { recursive: true, force: true });
  try {
    const staging = join(root, STAGING);
    await mkdir(staging, { mode: 0o700 });
    const archive: Archive = format === 'zip' ? new ZipArchive(archivePath) : new TarArchive(archivePath, format === 'tar.gz');
    // Pass 1 lists and checks every entry (all problems reported at once); pass 2 writes.
    const plan = await archive.scan(limits);
    const stripped = strippedFolder(plan);
    const written = await archive.extract(limits, plan, staging, stripped);
    const name = options.folderName ?? (await declaredSlug(staging)) ?? 'bundle';
    const dir = join(root, name);
    await rename(staging, dir);
    return { dir, format, files: written.files, bytes: written.bytes, strippedFolder: stripped, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** What pass 1 found: the entries to extract, by normalized path. */
interface Plan {
  files: Set<string>;
  dirs: Set<string>;
}

interface Archive {
  scan(limits: BundleLimits): Promise<Plan>;
  extract(limits: BundleLimits, plan: Plan, into: string, strip: string | undefined): Promise<{ files: number; bytes: number }>;
}

type EntryKind = 'file' | 'dir';

/**
 * Checks entries one by one, as either pass sees them: the count, the name, the type,
 * duplicates and a file where a folder is (or the reverse). Name and type problems are
 * collected so that one refusal lists them all; the entry count stops at once.
 */
class EntryChecker {
  readonly problems: ErrorDetail[] = [];
  readonly files = new Set<string>();
  readonly dirs = new Set<string>();
  private entries = 0;

  constructor(private readonly limits: BundleLimits) {}

  /** Returns the normalized path to extract, or null when the entry is skipped or refused. */
  check(raw: string, kind: EntryKind | { refused: string }): string | null {
    this.entries += 1;
    if (this.entries > this.limits.maxEntries) {
      throw refuse(`The bundle holds more than ${this.limits.maxEntries} entries (files and folders); remove files, or ask for a higher MAX_BUNDLE_ENTRIES`);
    }
    const unsafe = nameProblem(raw);
    if (unsafe !== null) {
      this.problems.push({ file: shown(raw), message: `${quote(raw)} ${unsafe}` });
      return null;
    }
    const segments = raw.split('/').filter((s) => s !== '' && s !== '.');
    if (segments.length === 0) return null; // "./" itself
    if (isJunk(segments)) return null;
    const path = segments.join('/');
    if (typeof kind === 'object') {
      this.problems.push({ file: shown(path), message: `${quote(path)} ${kind.refused}` });
      return null;
    }
    const clash = this.clash(path, segments, kind);
    if (clash !== null) {
      this.problems.push({ file: shown(path), message: `${quote(path)} ${clash}` });
      return null;
    }
    if (kind === 'file') this.files.add(path);
    else this.dirs.add(path);
    // A file's folders exist implicitly; a later file entry of the same name must clash.
    for (let i = 1; i < segments.length; i++) this.dirs.add(segments.slice(0, i).join('/'));
    return path;
  }

  private clash(path: string, segments: string[], kind: EntryKind): string | null {
    if (this.files.has(path)) return 'appears twice in the archive; keep one copy';
    if (kind === 'file' && this.dirs.has(path)) return 'is both a file and a folder in the archive; keep one';
    if (kind === 'dir' && this.dirs.has(path)) return null; // tar lists a folder once, zip may repeat it: harmless
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('/');
      if (this.files.has(parent)) return `lies under ${quote(parent)}, which is a file in the archive`;
    }
    return null;
  }

  throwProblems(): void {
    if (this.problems.length === 0) return;
    const first = this.problems[0].message;
    const more = this.problems.length > 1 ? ` (and ${this.problems.length - 1} more; see details)` : '';
    throw AppError.unprocessable(CODE, `The bundle cannot be accepted: ${first}${more}`, this.problems);
  }

  plan(): Plan {
    return { files: this.files, dirs: this.dirs };
  }
}

/** Counts the bytes actually written, per file and in total, against the limits. */
class ByteBudget {
  total = 0;
  files = 0;

  constructor(private readonly limits: BundleLimits) {}

  add(name: string, entryBytes: number, chunk: number): void {
    this.total += chunk;
    if (entryBytes > this.limits.maxEntryBytes) {
      throw refuse(`${quote(name)} extracts to more than ${this.limits.maxEntryBytes} bytes, the limit per file (MAX_BUNDLE_ENTRY_BYTES); remove or shrink it`, name);
    }
    if (this.total > this.limits.maxBytes) {
      throw refuse(`The bundle extracts to more than ${this.limits.maxBytes} bytes in total, the limit (MAX_BUNDLE_BYTES), passed at ${quote(name)}; remove files or shrink them`, name);
    }
  }
}

/** Why a name must not be extracted; null when it is safe. */
function nameProblem(raw: string): string | null {
  if (raw === '') return 'has an empty name';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) return 'has a NUL or control character in its name';
  if (raw.startsWith('/') || raw.startsWith('\\') || /^[A-Za-z]:/.test(raw)) return 'is an absolute path; names must be relative to the bundle folder';
  if (raw.includes('\\')) return 'has a backslash in its name; folders are separated by "/"';
  const segments = raw.split('/');
  if (segments.includes('..')) return 'climbs out of the bundle folder with ".."';
  if (Buffer.byteLength(raw) > MAX_NAME_BYTES || segments.some((s) => Buffer.byteLength(s) > MAX_SEGMENT_BYTES)) {
    return `has a name longer than ${MAX_NAME_BYTES} bytes (or a part longer than ${MAX_SEGMENT_BYTES})`;
  }
  return null;
}

function isJunk(segments: string[]): boolean {
  const base = segments[segments.length - 1] ?? '';
  return segments.some((s) => JUNK_FOLDERS.has(s)) || JUNK_FILES.has(base) || base.startsWith('._');
}

function isPlainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && nameProblem(name) === null && !name.includes('/');
}

/** The one top-level folder every entry sits under (people zip the folder itself), if any. */
function strippedFolder(plan: Plan): string | undefined {
  const files = [...plan.files];
  if (files.length === 0) throw refuse('The bundle holds no files; it needs at least challenge.yaml and its data files');
  const top = files[0].split('/')[0];
  const under = (p: string) => p.startsWith(`${top}/`);
  if (!files.every(under)) return undefined;
  return [...plan.dirs].every((d) => d === top || under(d)) ? top : undefined;
}

/** Where an entry goes: under `into`, its top folder removed when stripping. */
function targetOf(into: string, path: string, strip: string | undefined): string | null {
  const rel = strip === undefined ? path : path === strip ? '' : path.slice(strip.length + 1);
  if (rel === '') return null;
  const target = resolve(into, rel);
  // Cannot happen after nameProblem; kept so that no write ever rests on that alone.
  if (!target.startsWith(into + sep)) throw new Error(`bundle entry ${JSON.stringify(path)} resolves outside the bundle folder`);
  return target;
}

/** Writes one file from `source`, counting every byte; never through a link or over a file. */
async function writeFile(source: AsyncIterable<Buffer>, target: string, name: string, budget: ByteBudget, onChunk?: (chunk: Buffer) => void): Promise<void> {
  await mkdir(resolve(target, '..'), { recursive: true, mode: 0o755 });
  const fh = await open(target, WRITE_FLAGS, 0o644);
  try {
    let size = 0;
    for await (const chunk of source) {
      size += chunk.length;
      budget.add(name, size, chunk.length);
      onChunk?.(chunk);
      await fh.write(chunk);
    }
    budget.files += 1;
  } finally {
    await fh.close();
  }
}

// --- zip ------------------------------------------------------------------------------

class ZipArchive implements Archive {
  constructor(private readonly path: string) {}

  async scan(limits: BundleLimits): Promise<Plan> {
    return this.withZip(async (zip) => {
      if (zip.entryCount > limits.maxEntries) {
        throw refuse(`The bundle holds ${zip.entryCount} entries (files and folders); at most ${limits.maxEntries} are allowed (MAX_BUNDLE_ENTRIES). Remove files`);
      }
      const checker = new EntryChecker(limits);
      let declared = 0;
      for await (const entry of zip.eachEntry()) {
        const raw = zipName(entry);
        const path = checker.check(raw, zipKind(entry, raw));
        if (path === null || raw.endsWith('/')) continue;
        // Declared sizes can only refuse early here; pass 2 counts the real bytes.
        if (entry.uncompressedSize > limits.maxEntryBytes) {
          throw refuse(`${quote(path)} declares ${entry.uncompressedSize} bytes; at most ${limits.maxEntryBytes} are allowed per file (MAX_BUNDLE_ENTRY_BYTES)`, path);
        }
        declared += entry.uncompressedSize;
        if (declared > limits.maxBytes) {
          throw refuse(`The bundle's files add up to more than ${limits.maxBytes} bytes, the limit (MAX_BUNDLE_BYTES), passed at ${quote(path)}`, path);
        }
      }
      checker.throwProblems();
      return checker.plan();
    });
  }

  async extract(limits: BundleLimits, plan: Plan, into: string, strip: string | undefined): Promise<{ files: number; bytes: number }> {
    return this.withZip(async (zip) => {
      const checker = new EntryChecker(limits);
      const budget = new ByteBudget(limits);
      for await (const entry of zip.eachEntry()) {
        const raw = zipName(entry);
        const path = checker.check(raw, zipKind(entry, raw));
        checker.throwProblems(); // the same archive passed pass 1; a problem now means it changed
        if (path === null) continue;
        const target = targetOf(into, path, strip);
        if (target === null) continue;
        if (raw.endsWith('/') || plan.dirs.has(path)) {
          await mkdir(target, { recursive: true, mode: 0o755 });
          continue;
        }
        let stream;
        try {
          stream = await zip.openReadStreamPromise(entry);
        } catch (e) {
          throw damaged(e, path);
        }
        // The iterator below reports the stream's errors; yauzl's inner streams may emit one
        // more after it has stopped listening, which must not crash the process.
        stream.on('error', () => undefined);
        let crc = 0;
        try {
          await writeFile(stream as AsyncIterable<Buffer>, target, path, budget, (chunk) => {
            crc = zlib.crc32(chunk, crc);
          });
        } catch (e) {
          stream.destroy();
          if (e instanceof AppError) throw e;
          // yauzl's entry-size validation: the data inflates past what the header declares.
          if (e instanceof Error && e.message.startsWith('too many bytes')) {
            throw refuse(`${quote(path)} inflates to more than the ${entry.uncompressedSize} bytes its header declares, so the archive is damaged or crafted; re-create it with a standard zip tool`, path);
          }
          throw damaged(e, path);
        }
        if (crc !== entry.crc32) throw damaged(new Error('CRC-32 checksum mismatch'), path);
      }
      return { files: budget.files, bytes: budget.total };
    });
  }

  private async withZip<T>(work: (zip: YauzlZipFile) => Promise<T>): Promise<T> {
    let zip: YauzlZipFile;
    try {
      // decodeStrings: false so that a bad name is ours to report, naming the entry,
      // rather than an error that ends the listing.
      zip = await yauzl.openPromise(this.path, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true });
    } catch (e) {
      throw damaged(e);
    }
    try {
      return await work(zip);
    } catch (e) {
      throw e instanceof AppError ? e : damaged(e);
    } finally {
      zip.close();
    }
  }
}

function zipName(entry: Entry): string {
  return yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
}

function zipKind(entry: Entry, raw: string): EntryKind | { refused: string } {
  const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
  if (mode === S_IFLNK) return { refused: 'is a symbolic link; links are not accepted, archive the files themselves (zip -r without -y)' };
  if (mode === S_IFCHR || mode === S_IFBLK) return { refused: 'is a device file; only files and folders are accepted' };
  if (mode === S_IFIFO || mode === S_IFSOCK) return { refused: 'is a FIFO or socket; only files and folders are accepted' };
  if (raw.endsWith('/') || mode === S_IFDIR) return 'dir';
  if (mode !== 0 && mode !== S_IFREG) return { refused: `has an unknown file type (mode ${mode.toString(8)}); only files and folders are accepted` };
  if (entry.isEncrypted()) return { refused: 'is password-protected; upload an archive without a password' };
  if (entry.compressionMethod !== ZIP_STORED && entry.compressionMethod !== ZIP_DEFLATED) {
    return { refused: `is compressed with method ${entry.compressionMethod}, which is not supported; re-create the zip with standard (deflate) compression` };
  }
  return 'file';
}

// --- tar and tar.gz -------------------------------------------------------------------

/** Bytes of tar headers and padding allowed per entry on top of the data (a ustar header, a pax header, padding). */
const TAR_OVERHEAD_PER_ENTRY = 4096;
/** Room for pax and GNU long-name records (node-tar caps one at this). */
const TAR_MAX_META_BYTES = 64 * 1024;

class TarArchive implements Archive {
  constructor(
    private readonly path: string,
    private readonly gzip: boolean,
  ) {}

  async scan(limits: BundleLimits): Promise<Plan> {
    const checker = new EntryChecker(limits);
    // A tar header's size is where the next header starts, so it cannot understate the
    // data; pass 2 counts the bytes written all the same.
    const sizes = new ByteBudget(limits);
    await this.walk(limits, (entry) => {
      const path = checker.check(entry.path, tarKind(entry));
      if (path !== null && tarKind(entry) === 'file') sizes.add(path, entry.size, entry.size);
      entry.resume(); // headers only: the data is skipped (still decompressed, still counted)
    });
    checker.throwProblems();
    return checker.plan();
  }

  async extract(limits: BundleLimits, plan: Plan, into: string, strip: string | undefined): Promise<{ files: number; bytes: number }> {
    const checker = new EntryChecker(limits);
    const budget = new ByteBudget(limits);
    await this.walk(limits, async (entry) => {
      const path = checker.check(entry.path, tarKind(entry));
      checker.throwProblems();
      const target = path === null ? null : targetOf(into, path, strip);
      if (path === null || target === null || plan.dirs.has(path)) {
        entry.resume();
        if (target !== null) await mkdir(target, { recursive: true, mode: 0o755 });
        return;
      }
      await writeFile(entry, target, path, budget);
    });
    return { files: budget.files, bytes: budget.total };
  }

  /**
   * Feeds the (decompressed) archive to node-tar's parser and calls `onEntry` for every
   * entry in order, one at a time; the parser holds the next entry until the current one's
   * data is read. The decompressed stream is capped too, so that neither padding nor
   * headers nor a gzip bomb of zeros after the end can keep it running.
   */
  private async walk(limits: BundleLimits, onEntry: (entry: ReadEntry) => void | Promise<void>): Promise<void> {
    const cap = limits.maxBytes + (limits.maxEntries + 2) * TAR_OVERHEAD_PER_ENTRY;
    let failure: unknown;
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    // The entry whose data is being read: a failure elsewhere (the input stream, the parser)
    // ends it, or its reader would wait for data that never comes.
    let reading: ReadEntry | undefined;
    const fail = (e: unknown) => {
      failure ??= e;
      stop();
      reading?.destroy();
    };
    const parser = new Parser({ strict: true, maxMetaEntrySize: TAR_MAX_META_BYTES, brotli: false, zstd: false });
    let chain: Promise<void> = Promise.resolve();
    const queue = (entry: ReadEntry, work: () => void | Promise<void>) => {
      chain = chain.then(async () => {
        if (failure !== undefined) {
          entry.resume();
          return;
        }
        reading = entry;
        try {
          await work();
        } catch (e) {
          entry.resume();
          fail(e);
        } finally {
          reading = undefined;
        }
      });
    };
    parser.on('entry', (entry: ReadEntry) => queue(entry, () => onEntry(entry)));
    // Unknown entry types and oversized pax records: node-tar skips them; we refuse them.
    parser.on('ignoredEntry', (entry: ReadEntry) =>
      queue(entry, () => {
        const why = entry.meta ? 'is a tar metadata record over 64 KiB' : `has an unsupported tar entry type (${entry.header.type ?? 'unknown'}); only files and folders are accepted`;
        throw refuse(`The bundle cannot be accepted: ${quote(entry.path)} ${why}`, entry.path);
      }),
    );
    parser.on('error', (e: unknown) => fail(e));
    const ended = new Promise<void>((r) => parser.on('end', () => r()));

    try {
      const consume = async (source: AsyncIterable<Buffer>) => {
        try {
          await feed(source);
        } catch (e) {
          fail(e); // first, so that our error wins over the abort the pipeline reports for the streams it closes
          throw e;
        }
      };
      const feed = async (source: AsyncIterable<Buffer>) => {
        let seen = 0;
        let first: Buffer | null = Buffer.alloc(0);
        for await (const chunk of source) {
          if (failure !== undefined) break;
          seen += chunk.length;
          if (seen > cap) throw refuse(`The archive decompresses to more than ${cap} bytes; the bundle may extract to at most ${limits.maxBytes} bytes (MAX_BUNDLE_BYTES)`);
          let data = chunk;
          if (first !== null) {
            // The tar magic, checked before node-tar sees a byte: a gzip of something else is refused here.
            first = Buffer.concat([first, chunk]);
            if (first.length < 512) continue;
            if (!isTarHeader(first)) throw notTar(this.gzip);
            data = first;
            first = null;
          }
          if (!parser.write(data)) await Promise.race([new Promise<void>((r) => parser.once('drain', () => r())), stopped]);
        }
        if (failure === undefined && first !== null) throw notTar(this.gzip);
        if (failure === undefined) {
          parser.end();
          await Promise.race([ended, stopped]);
        }
      };
      if (this.gzip) await pipeline(createReadStream(this.path), zlib.createGunzip(), consume);
      else await pipeline(createReadStream(this.path), consume);
    } catch (e) {
      fail(e);
    }
    await chain;
    if (failure !== undefined) {
      if (failure instanceof AppError) throw failure;
      throw damaged(failure);
    }
  }
}

function tarKind(entry: ReadEntry): EntryKind | { refused: string } {
  switch (entry.type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      return 'file';
    case 'Directory':
    case 'GNUDumpDir':
      return 'dir';
    case 'SymbolicLink':
      return { refused: `is a symbolic link (to ${quote(entry.linkpath ?? '')}); links are not accepted, archive the files themselves` };
    case 'Link':
      return { refused: `is a hard link (to ${quote(entry.linkpath ?? '')}); links are not accepted, archive the files themselves` };
    case 'CharacterDevice':
    case 'BlockDevice':
      return { refused: 'is a device file; only files and folders are accepted' };
    case 'FIFO':
      return { refused: 'is a FIFO; only files and folders are accepted' };
    // Metadata records never reach us as entries (node-tar folds them into the next one);
    // the rest are kinds of file Sieve has no use for.
    case 'ExtendedHeader':
    case 'GlobalExtendedHeader':
    case 'OldExtendedHeader':
    case 'NextFileHasLongPath':
    case 'NextFileHasLongLinkpath':
    case 'OldGnuLongPath':
    case 'ContinuationFile':
    case 'Inode':
    case 'SolarisACL':
    case 'SparseFile':
    case 'TapeVolumeHeader':
    case 'Unsupported':
      return { refused: `has an unsupported tar entry type (${entry.type}); only files and folders are accepted` };
  }
}

/** A ustar (POSIX or GNU) header: "ustar" at offset 257 and a valid checksum. */
function isTarHeader(block: Buffer): boolean {
  if (block.length < 512 || block.subarray(257, 262).toString('latin1') !== 'ustar') return false;
  const stored = parseInt(block.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').trim(), 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  return stored === sum;
}

function notTar(gzip: boolean): AppError {
  return gzip
    ? AppError.unprocessable(CODE, 'The bundle is gzip-compressed but what is inside is not a tar archive; upload the challenge folder as a .zip, .tar or .tar.gz')
    : AppError.unprocessable(CODE, 'The bundle is not a valid tar archive; upload the challenge folder as a .zip, .tar or .tar.gz');
}

// --- helpers --------------------------------------------------------------------------

async function head(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fh.read(buf, 0, 512, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function formatOf(bytes: Buffer): ArchiveFormat | null {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6))) return 'zip';
  if (bytes.length >= 3 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 8) return 'tar.gz';
  if (isTarHeader(bytes)) return 'tar';
  return null;
}

/** What the bytes look like when they are none of ours, for the message. */
async function formatHint(path: string): Promise<string> {
  const { size } = await stat(path);
  if (size === 0) return ' (the file is empty)';
  const bytes = await head(path);
  const magic = bytes.subarray(0, 6).toString('latin1');
  if (magic.startsWith('Rar!')) return ' (it is a RAR archive)';
  if (magic.startsWith('7z')) return ' (it is a 7-Zip archive)';
  if (bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd) return ' (it is zstd-compressed)';
  if (magic.startsWith('BZh')) return ' (it is bzip2-compressed)';
  if (bytes[0] === 0xfd && magic.slice(1, 5) === '7zXZ') return ' (it is xz-compressed)';
  return '';
}

/** The slug challenge.yaml declares, when it has a valid one: the folder gets that name. */
async function declaredSlug(dir: string): Promise<string | undefined> {
  const text = await readFile(join(dir, 'challenge.yaml'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const slug: unknown = parseDocument(text).get('slug');
  return typeof slug === 'string' && SLUG.test(slug) ? slug : undefined;
}

function refuse(message: string, file?: string): AppError {
  return AppError.unprocessable(CODE, message, file === undefined ? [] : [{ file: shown(file), message }]);
}

function damaged(e: unknown, file?: string): AppError {
  const why = e instanceof Error ? e.message : String(e);
  if (file === undefined) {
    return AppError.unprocessable(CODE, `The bundle is not a valid zip, tar or tar.gz archive, or it is damaged or truncated (${why}); re-create it and upload it again`);
  }
  return AppError.unprocessable(CODE, `${quote(file)} in the bundle is damaged (${why}); re-create the archive and upload it again`, [{ file: shown(file), message: why }]);
}

const MAX_NAME_CHARS = 200;

function shown(name: string): string {
  return name.length > MAX_NAME_CHARS ? `${name.slice(0, MAX_NAME_CHARS - 3)}...` : name;
}

/** A name for a message: quoted, escaped (names may hold anything), cut when long. */
function quote(name: string): string {
  return JSON.stringify(shown(name));
}
