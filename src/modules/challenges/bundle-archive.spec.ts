import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import zlib from 'node:zlib';
import { create as tarCreate, Header, type HeaderData } from 'tar';
import yazl from 'yazl';
import { AppError } from '../../core/errors/app-error.js';
import { type BundleLimits, detectArchiveFormat, extractBundle } from './bundle-archive.js';
import { loadBundle } from './challenge-bundle.loader.js';

// The smallest bundled challenge: a whole bundle round-trips through an archive in well under a second.
const CHALLENGES = resolve('challenges');
const SLUG = 'digits-selection';

const limits: BundleLimits = { maxEntries: 20, maxBytes: 1_000_000, maxEntryBytes: 600_000 };

let work: string; // the archives the tests build
let temp: string; // where extractBundle makes its folders: must be empty after every refusal

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'bundle-archive-spec-'));
  temp = await mkdtemp(join(tmpdir(), 'bundle-archive-out-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
  await rm(temp, { recursive: true, force: true });
});

interface ZipItem {
  name: string;
  data?: Buffer | string;
  /** Unix mode, e.g. 0o120777 for a symbolic link. */
  mode?: number;
  directory?: boolean;
}

async function zipFile(items: ZipItem[], name = 'bundle.zip'): Promise<string> {
  const zip = new yazl.ZipFile();
  for (const item of items) {
    if (item.directory) zip.addEmptyDirectory(item.name);
    else zip.addBuffer(Buffer.from(item.data ?? ''), item.name, item.mode === undefined ? {} : { mode: item.mode });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return save(Buffer.concat(chunks), name);
}

async function save(bytes: Buffer, name: string): Promise<string> {
  const path = join(work, name);
  await writeFile(path, bytes);
  return path;
}

/** Offsets of each zip entry's central directory header and local header (no zip comment). */
function zipHeaders(zip: Buffer): { central: number; local: number }[] {
  const eocd = zip.length - 22;
  const out: { central: number; local: number }[] = [];
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < zip.readUInt16LE(eocd + 10); i++) {
    out.push({ central: at, local: zip.readUInt32LE(at + 42) });
    at += 46 + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return out;
}

/** Renames zip entry `index` in both its headers to a name yazl refuses to write (same length). */
async function renameZipEntry(path: string, index: number, name: string): Promise<void> {
  const zip = await readFile(path);
  const { central, local } = zipHeaders(zip)[index];
  const bytes = Buffer.from(name, 'utf8');
  expect(zip.readUInt16LE(central + 28)).toBe(bytes.length);
  bytes.copy(zip, central + 46);
  bytes.copy(zip, local + 30);
  await writeFile(path, zip);
}

/** Declares a smaller uncompressed size for zip entry `index` than its data inflates to. */
async function lieAboutSize(path: string, index: number, size: number): Promise<void> {
  const zip = await readFile(path);
  const { central, local } = zipHeaders(zip)[index];
  zip.writeUInt32LE(size, central + 24);
  zip.writeUInt32LE(size, local + 22);
  await writeFile(path, zip);
}

interface TarItem {
  path: string;
  type?: NonNullable<HeaderData['type']>;
  data?: Buffer | string;
  linkpath?: string;
}

/** A tar written header by header, so that it can hold what tar tools refuse to write. */
function tarBytes(items: TarItem[]): Buffer {
  const blocks: Buffer[] = [];
  for (const item of items) {
    const data = Buffer.from(item.data ?? '');
    const type = item.type ?? 'File';
    const header = new Header({ path: item.path, type, size: type === 'File' ? data.length : 0, mode: type === 'Directory' ? 0o755 : 0o644, uid: 0, gid: 0, mtime: new Date(0), linkpath: item.linkpath });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block);
    if (type === 'File' && data.length > 0) blocks.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

async function refusal(archive: string, with_: BundleLimits = limits): Promise<AppError> {
  let error: unknown;
  try {
    const bundle = await extractBundle(archive, with_, { tempRoot: temp });
    await bundle.cleanup();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(AppError);
  const appError = error as AppError;
  expect(appError.status).toBe(422);
  expect(appError.code).toBe('invalid_bundle');
  // Nothing is left behind.
  expect(await readdir(temp)).toEqual([]);
  return appError;
}

const files = (e: AppError) => e.details.map((d) => d.file);

describe('extractBundle: good bundles', () => {
  it('extracts a zip of the challenge folder, strips the folder, and the result loads', async () => {
    const items: ZipItem[] = [];
    for (const rel of await listFiles(join(CHALLENGES, SLUG))) items.push({ name: `${SLUG}/${rel}`, data: await readFile(join(CHALLENGES, SLUG, rel)) });
    items.push({ name: '__MACOSX/._challenge.yaml', data: 'junk' }, { name: `${SLUG}/.DS_Store`, data: 'junk' });
    const bundle = await extractBundle(await zipFile(items), { maxEntries: 100, maxBytes: 10_000_000, maxEntryBytes: 1_000_000 }, { tempRoot: temp });
    try {
      expect(bundle.format).toBe('zip');
      expect(bundle.strippedFolder).toBe(SLUG);
      expect(bundle.dir.endsWith(`/${SLUG}`)).toBe(true);
      expect((await readdir(bundle.dir)).sort()).toEqual(['LICENSE', 'README.md', 'baselines', 'challenge.yaml', 'pool.csv.gz', 'test.csv.gz']);
      const loaded = await loadBundle(bundle.dir);
      expect(loaded.spec.slug).toBe(SLUG);
      const original = await loadBundle(join(CHALLENGES, SLUG));
      expect(loaded.contentHash).toBe(original.contentHash);
    } finally {
      await bundle.cleanup();
    }
    expect(await readdir(temp)).toEqual([]);
  });

  it('extracts a tar.gz of the challenge folder (made by tar) that loads', async () => {
    const archive = join(work, 'bundle.tgz'); // the name says nothing: the magic bytes decide
    await tarCreate({ gzip: true, file: archive, cwd: CHALLENGES, portable: true }, [SLUG]);
    const bundle = await extractBundle(archive, { maxEntries: 100, maxBytes: 10_000_000, maxEntryBytes: 1_000_000 }, { tempRoot: temp });
    try {
      expect(bundle.format).toBe('tar.gz');
      expect(bundle.strippedFolder).toBe(SLUG);
      expect(bundle.files).toBe(7); // challenge.yaml, LICENSE, README.md, 2 data files, 2 baselines
      expect((await loadBundle(bundle.dir)).spec.slug).toBe(SLUG);
      expect((await stat(join(bundle.dir, 'challenge.yaml'))).mode & 0o777).toBe(0o644);
    } finally {
      await bundle.cleanup();
    }
  });

  it('extracts a plain tar of the folder contents ("./x" names) into a folder named by the slug', async () => {
    const archive = join(work, 'bundle.zip'); // a misleading name
    await tarCreate({ file: archive, cwd: join(CHALLENGES, SLUG), portable: true }, ['.']);
    expect(await detectArchiveFormat(archive)).toBe('tar');
    const bundle = await extractBundle(archive, { maxEntries: 100, maxBytes: 10_000_000, maxEntryBytes: 1_000_000 }, { tempRoot: temp });
    try {
      expect(bundle.strippedFolder).toBeUndefined();
      expect(bundle.dir.endsWith(`/${SLUG}`)).toBe(true);
      expect((await loadBundle(bundle.dir)).spec.slug).toBe(SLUG);
    } finally {
      await bundle.cleanup();
    }
  });

  it('names the folder as told, or "bundle" when challenge.yaml has no usable slug', async () => {
    const told = await extractBundle(await zipFile([{ name: 'challenge.yaml', data: 'slug: x-y-z\n' }]), limits, { tempRoot: temp, folderName: 'other' });
    expect(told.dir.endsWith('/other')).toBe(true);
    await told.cleanup();
    const bad = await extractBundle(await zipFile([{ name: 'challenge.yaml', data: 'slug: ../../etc\n' }], 'b.zip'), limits, { tempRoot: temp });
    expect(bad.dir.endsWith('/bundle')).toBe(true);
    await bad.cleanup();
  });

  it('does not strip when files sit at the top next to a folder', async () => {
    const bundle = await extractBundle(await zipFile([{ name: 'a/x.csv', data: '1' }, { name: 'challenge.yaml', data: 'slug: abc\n' }]), limits, { tempRoot: temp });
    expect(bundle.strippedFolder).toBeUndefined();
    expect(await readFile(join(bundle.dir, 'a/x.csv'), 'utf8')).toBe('1');
    await bundle.cleanup();
  });
});

describe('extractBundle: hostile archives', () => {
  it.each([
    ['../evil.csv', 'climbs out'],
    ['a/../../b.csv', 'climbs out'],
    ['/etc/passwd', 'absolute'],
    ['C:/windows.csv', 'absolute'],
    ['a\\..\\b.csv', 'backslash'],
    ['a\u0000b.csv', 'control character'],
    ['a\u001bb.csv', 'control character'],
  ])('refuses the zip entry %j', async (name, why) => {
    const placeholder = 'x'.repeat(Buffer.byteLength(name));
    const archive = await zipFile([{ name: 'challenge.yaml', data: 'slug: abc' }, { name: placeholder, data: 'owned' }]);
    await renameZipEntry(archive, 1, name);
    const e = await refusal(archive);
    expect(files(e)).toEqual([name]);
    expect(e.details[0].message).toContain(why);
  });

  it.each([
    ['../evil.csv', 'climbs out'],
    ['/etc/cron.d/evil', 'absolute'],
    ['a/\u0001.csv', 'control character'],
  ])('refuses the tar entry %j', async (name, why) => {
    const e = await refusal(await save(tarBytes([{ path: 'challenge.yaml', data: 'x' }, { path: name, data: 'owned' }]), 'x.tar'));
    expect(files(e)).toEqual([name]);
    expect(e.details[0].message).toContain(why);
  });

  it('lists every bad entry of a tar.gz at once, names them, and writes nothing', async () => {
    const tar = tarBytes([
      { path: 'b/challenge.yaml', data: 'x' },
      { path: 'b/link.csv', type: 'SymbolicLink', linkpath: '/etc/passwd' },
      { path: 'b/hard.csv', type: 'Link', linkpath: 'b/challenge.yaml' },
      { path: 'b/fifo', type: 'FIFO' },
      { path: 'b/dev', type: 'CharacterDevice' },
      { path: 'b/../../up.csv', data: 'x' },
      { path: 'b/challenge.yaml', data: 'again' },
    ]);
    const e = await refusal(await save(zlib.gzipSync(tar), 'b.tar.gz'));
    expect(files(e)).toEqual(['b/link.csv', 'b/hard.csv', 'b/fifo', 'b/dev', 'b/../../up.csv', 'b/challenge.yaml']);
    expect(e.details.map((d) => d.message).join('\n')).toMatch(/symbolic link[\s\S]*hard link[\s\S]*FIFO[\s\S]*device[\s\S]*climbs out[\s\S]*appears twice/);
    expect(e.message).toContain('and 5 more');
  });

  it('refuses a symbolic link in a zip', async () => {
    const e = await refusal(await zipFile([{ name: 'challenge.yaml', data: 'x' }, { name: 'pool.csv.gz', data: '/etc/passwd', mode: 0o120777 }]));
    expect(files(e)).toEqual(['pool.csv.gz']);
    expect(e.details[0].message).toContain('symbolic link');
  });

  it('refuses duplicate names in a zip, and a file that is also a folder', async () => {
    const e = await refusal(
      await zipFile([
        { name: 'challenge.yaml', data: 'x' },
        { name: 'challenge.yaml', data: 'y' },
        { name: 'data', data: 'a file' },
        { name: 'data/pool.csv', data: 'under the file' },
      ]),
    );
    expect(files(e)).toEqual(['challenge.yaml', 'data/pool.csv']);
  });

  it('refuses a zip bomb by its declared size before inflating it', async () => {
    const archive = await zipFile([{ name: 'bomb.csv', data: Buffer.alloc(5_000_000) }]);
    expect((await stat(archive)).size).toBeLessThan(20_000);
    const e = await refusal(archive);
    expect(e.message).toMatch(/bomb\.csv.*600000 are allowed per file/);
  });

  it('refuses a zip bomb whose header lies about its size, by the bytes it inflates to', async () => {
    const archive = await zipFile([{ name: 'bomb.csv', data: Buffer.alloc(5_000_000) }]);
    await lieAboutSize(archive, 0, 1000);
    const e = await refusal(archive);
    expect(e.message).toMatch(/bomb\.csv.*more than the 1000 bytes its header declares/);
  });

  it('refuses a tar.gz bomb (one file over the cap) before writing it', async () => {
    const e = await refusal(await save(zlib.gzipSync(tarBytes([{ path: 'bomb.csv', data: Buffer.alloc(5_000_000) }])), 'bomb.tar.gz'));
    expect(e.message).toMatch(/bomb\.csv.*600000 bytes, the limit per file/);
    expect(files(e)).toEqual(['bomb.csv']);
  });

  it('refuses a tar whose files together pass the total cap', async () => {
    const part = Buffer.alloc(400_000, 1);
    const e = await refusal(await save(zlib.gzipSync(tarBytes([{ path: 'a.csv', data: part }, { path: 'b.csv', data: part }, { path: 'c.csv', data: part }])), 'x.tgz'));
    expect(e.message).toMatch(/more than 1000000 bytes in total.*"c\.csv"/);
  });

  it('refuses a gzip of zeros (an endless tar end) by the decompressed size', async () => {
    const e = await refusal(await save(zlib.gzipSync(Buffer.concat([tarBytes([{ path: 'a.csv', data: 'x' }]), Buffer.alloc(3_000_000)])), 'z.tgz'), {
      ...limits,
      maxEntries: 5,
    });
    expect(e.message).toContain('decompresses to more than');
  });

  it('refuses too many entries, in a zip and in a tar', async () => {
    const many = Array.from({ length: 21 }, (_, i) => ({ name: `f${i}.csv`, data: 'x' }));
    expect((await refusal(await zipFile(many))).message).toContain('at most 20');
    const tar = tarBytes(many.map((m) => ({ path: m.name, data: m.data })));
    expect((await refusal(await save(tar, 'many.tar'))).message).toContain('more than 20 entries');
  });

  it.each([
    ['garbage', Buffer.from('this is not an archive at all, just some text\n'.repeat(20)), ''],
    ['an empty file', Buffer.alloc(0), 'empty'],
    ['a RAR archive', Buffer.concat([Buffer.from('Rar!\u001a\u0007\u0000'), Buffer.alloc(100)]), 'RAR'],
  ])('refuses %s with a message that says zip, tar or tar.gz', async (_what, bytes, hint) => {
    const e = await refusal(await save(bytes, 'bundle.zip'));
    expect(e.message).toContain('zip, tar or tar.gz');
    expect(e.message).toContain(hint);
  });

  it('refuses a gzip that holds no tar, and a truncated tar.gz', async () => {
    expect((await refusal(await save(zlib.gzipSync(Buffer.from('a,b\n1,2\n'.repeat(200))), 'x.csv.gz'))).message).toContain('not a tar archive');
    const whole = zlib.gzipSync(tarBytes([{ path: 'a.csv', data: Buffer.alloc(100_000, 7) }]));
    const truncated = zlib.gzipSync(zlib.gunzipSync(whole).subarray(0, 50_000));
    expect((await refusal(await save(truncated, 't.tgz'))).message).toMatch(/damaged or truncated/);
  });

  it('refuses a tar.gz cut off in the middle of a file (the gzip stream ends early)', async () => {
    const random = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 251));
    const whole = zlib.gzipSync(tarBytes([{ path: 'a.csv', data: random }, { path: 'b.csv', data: 'x' }]));
    const e = await refusal(await save(whole.subarray(0, Math.floor(whole.length / 2)), 'cut.tgz'));
    expect(e.message).toMatch(/damaged or truncated/);
  });

  it('refuses a damaged zip (bad CRC)', async () => {
    const archive = await zipFile([{ name: 'a.csv', data: 'hello, world' }]);
    const zip = await readFile(archive);
    const { central, local } = zipHeaders(zip)[0];
    zip.writeUInt32LE(0xdeadbeef, central + 16);
    zip.writeUInt32LE(0xdeadbeef, local + 14);
    await writeFile(archive, zip);
    const e = await refusal(archive);
    expect(e.message).toContain('CRC');
    expect(files(e)).toEqual(['a.csv']);
  });

  it('refuses an archive with no files', async () => {
    expect((await refusal(await zipFile([{ name: 'empty/', directory: true }]))).message).toContain('holds no files');
  });
});

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out.sort();
}
