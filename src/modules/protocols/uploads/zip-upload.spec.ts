import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import yazl from 'yazl';
import { AppError } from '../../../core/errors/app-error.js';
import { isZip, readZipUpload, type ZipLimits } from './zip-upload.js';

const limits: ZipLimits = { maxEntries: 100, maxTotalBytes: 1_000_000, maxEntryBytes: 1_000_000 };

interface Item {
  name: string;
  data?: Buffer | string;
  /** Unix mode, e.g. 0o120777 for a symbolic link. */
  mode?: number;
  compress?: boolean;
  directory?: boolean;
}

/** A zip written by yazl (the writer that goes with yauzl). */
async function zipOf(items: Item[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const item of items) {
    if (item.directory) zip.addEmptyDirectory(item.name);
    else zip.addBuffer(Buffer.from(item.data ?? ''), item.name, { compress: item.compress ?? true, ...(item.mode === undefined ? {} : { mode: item.mode }) });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Offsets of each entry's central directory header and local header (no zip comment). */
function headersOf(zip: Buffer): { central: number; local: number }[] {
  const eocd = zip.length - 22;
  expect(zip.readUInt32LE(eocd)).toBe(0x06054b50);
  const out: { central: number; local: number }[] = [];
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < zip.readUInt16LE(eocd + 10); i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    out.push({ central: at, local: zip.readUInt32LE(at + 42) });
    at += 46 + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return out;
}

/** Renames entry `index` in both its headers to a name yazl refuses to write (same length). */
function rename(zip: Buffer, index: number, name: string): Buffer {
  const out = Buffer.from(zip);
  const { central, local } = headersOf(out)[index];
  const bytes = Buffer.from(name, 'utf8');
  expect(out.readUInt16LE(central + 28)).toBe(bytes.length);
  bytes.copy(out, central + 46);
  bytes.copy(out, local + 30);
  return out;
}

/** Sets a 16/32-bit field of entry `index` in both headers (central offset, local offset). */
function patch(zip: Buffer, index: number, field: 'flags' | 'method' | 'size', value: number): Buffer {
  const out = Buffer.from(zip);
  const { central, local } = headersOf(out)[index];
  const [c, l, bits] = { flags: [8, 6, 16], method: [10, 8, 16], size: [24, 22, 32] }[field];
  if (bits === 16) {
    out.writeUInt16LE(value, central + c);
    out.writeUInt16LE(value, local + l);
  } else {
    out.writeUInt32LE(value, central + c);
    out.writeUInt32LE(value, local + l);
  }
  return out;
}

async function reject(bytes: Buffer, with_: ZipLimits = limits): Promise<AppError> {
  try {
    await readZipUpload(bytes, with_);
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

interface Inflation {
  /** Bytes pushed out by raw inflate streams (yauzl's path for larger entries). */
  streamed: () => number;
  streams: () => number;
  /** The caps of one-shot inflations (the path for small entries). */
  inlineCaps: () => (number | undefined)[];
  restore: () => void;
}

/** Watches every raw inflation: wraps `zlib.inflateRawSync` and `push` on the inflate stream prototype. */
function watchInflation(): Inflation {
  const proto = Object.getPrototypeOf(zlib.createInflateRaw()) as { push: Readable['push'] };
  const push = proto.push;
  const streams = new Set<Readable>();
  let streamed = 0;
  proto.push = function (this: Readable, chunk: Buffer | null, encoding?: BufferEncoding): boolean {
    streams.add(this);
    streamed += chunk?.length ?? 0;
    return push.call(this, chunk, encoding);
  };
  const inflateRawSync = zlib.inflateRawSync;
  const caps: (number | undefined)[] = [];
  // A read-only (but configurable) property of the module: redefine it, do not assign.
  Object.defineProperty(zlib, 'inflateRawSync', {
    configurable: true,
    value: (buffer: zlib.InputType, options?: zlib.ZlibOptions) => {
      caps.push(options?.maxOutputLength);
      return inflateRawSync(buffer, options);
    },
  });
  return {
    streamed: () => streamed,
    streams: () => streams.size,
    inlineCaps: () => caps,
    restore: () => {
      delete (proto as Partial<typeof proto>).push;
      Object.defineProperty(zlib, 'inflateRawSync', { configurable: true, value: inflateRawSync });
    },
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 100));

describe('isZip', () => {
  it.each<[string, Buffer, boolean]>([
    ['a local file header', Buffer.from('PK\x03\x04rest', 'latin1'), true],
    ['an empty zip', Buffer.from('PK\x05\x06', 'latin1'), true],
    ['gzip', Buffer.from([0x1f, 0x8b, 8, 0]), false],
    ['text', Buffer.from('id,label\n'), false],
    ['too short', Buffer.from('PK'), false],
  ])('%s', (_, bytes, expected) => {
    expect(isZip(bytes)).toBe(expected);
  });
});

describe('readZipUpload', () => {
  it('returns the files with their bytes and skips folders and macOS/Windows junk', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const zip = await zipOf([
      { name: 'mydata/', directory: true },
      { name: 'mydata/3/', directory: true },
      { name: 'mydata/3/img_001.png', data: png },
      { name: 'mydata/7/img_002.png', data: 'seven', compress: false },
      { name: '__MACOSX/mydata/3/._img_001.png', data: 'resource fork' },
      { name: 'mydata/.DS_Store', data: 'finder' },
      { name: 'mydata/3/._img_001.png', data: 'apple double' },
      { name: 'mydata/7/Thumbs.db', data: 'windows' },
      { name: 'empty.csv', data: '' },
    ]);
    const files = await readZipUpload(zip, limits);
    expect(files.map((f) => f.name)).toEqual(['mydata/3/img_001.png', 'mydata/7/img_002.png', 'empty.csv']);
    expect(files[0].bytes.equals(png)).toBe(true);
    expect(files[1].bytes.toString()).toBe('seven');
    expect(files[2].bytes.length).toBe(0);
  });

  it('normalizes "." and empty path segments', async () => {
    const zip = rename(await zipOf([{ name: 'xx/a/b.csv', data: 'x' }]), 0, './a//b.csv');
    const files = await readZipUpload(zip, limits);
    expect(files.map((f) => f.name)).toEqual(['a/b.csv']);
  });

  it('reads an empty zip as no files', async () => {
    const zip = await zipOf([]);
    expect(isZip(zip)).toBe(true);
    await expect(readZipUpload(zip, limits)).resolves.toEqual([]);
  });

  it.each<[string, Buffer, string]>([
    ['text', Buffer.from('id,label\np1,cat\n'), 'The upload is not a zip file; upload a .zip'],
    ['gzip', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]), 'not a zip file (it is gzip-compressed'],
    ['nothing', Buffer.alloc(0), 'not a zip file (it is empty)'],
  ])('refuses %s with a 400', async (_, bytes, message) => {
    const err = await reject(bytes);
    expect([err.status, err.code]).toEqual([400, 'not_zip']);
    expect(err.message).toContain(message);
  });

  it('refuses a truncated zip with a 400', async () => {
    const zip = await zipOf([{ name: 'a.csv', data: 'x'.repeat(1000) }]);
    const err = await reject(zip.subarray(0, zip.length - 30));
    expect([err.status, err.code]).toEqual([400, 'invalid_zip']);
    expect(err.message).toMatch(/^The zip file is damaged or truncated \(.+\); re-create it/);
  });

  it('refuses damaged deflate data with a 400 naming the entry', async () => {
    const zip = await zipOf([{ name: 'a.csv', data: 'abc,def\n'.repeat(500) }]);
    const { local } = headersOf(zip)[0];
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    zip.fill(0xff, start, start + 8);
    const err = await reject(zip);
    expect([err.status, err.code]).toEqual([400, 'invalid_zip']);
    expect(err.message).toContain('"a.csv" in the zip is damaged');
    expect(err.details[0].file).toBe('a.csv');
  });

  it('refuses a stored entry whose bytes do not match its CRC-32', async () => {
    const zip = await zipOf([{ name: 'a.csv', data: 'hello world', compress: false }]);
    const { local } = headersOf(zip)[0];
    zip[local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28)] ^= 1;
    const err = await reject(zip);
    expect([err.status, err.code]).toEqual([400, 'invalid_zip']);
    expect(err.message).toContain('"a.csv" in the zip is damaged (CRC-32 checksum mismatch)');
  });

  it.each<[string, string]>([
    ['../x', 'invalid relative path'],
    ['a/../../x', 'invalid relative path'],
    ['/etc/x', 'absolute path'],
    ['C:\\x', 'invalid characters in fileName'],
    ['C:/x', 'absolute path'],
    ['a\\b.png', 'invalid characters in fileName'],
    ['a\u0000b', 'control characters in the name'],
  ])('refuses the unsafe name %j with a 422 naming it', async (name, why) => {
    const placeholder = 'p'.repeat(Buffer.byteLength(name));
    const zip = rename(await zipOf([{ name: 'ok.csv', data: 'x' }, { name: placeholder, data: 'evil' }]), 1, name);
    const err = await reject(zip);
    expect([err.status, err.code]).toEqual([422, 'invalid_zip_entries']);
    expect(err.message).toContain(`${JSON.stringify(name)} is not a safe path inside the zip (${why})`);
    expect(err.message).toContain('Re-create the zip');
    expect(err.details).toEqual([{ file: name, message: expect.stringContaining(why) }]);
  });

  it('lists every bad entry in one 422: traversal, symbolic link, password, unknown compression, duplicate', async () => {
    let zip = await zipOf([
      { name: 'ok.csv', data: 'x' },
      { name: 'pp/passwd', data: 'evil' },
      { name: 'link.png', data: '/etc/passwd', mode: 0o120777 },
      { name: 'secret.csv', data: 'x' },
      { name: 'bzip.csv', data: 'x' },
      { name: 'dup.csv', data: '1' },
      { name: 'dup.cs_', data: '2' },
    ]);
    zip = rename(zip, 1, '../passwd');
    zip = patch(zip, 3, 'flags', 0x0801);
    zip = patch(zip, 4, 'method', 12);
    zip = rename(zip, 6, 'dup.csv');
    const err = await reject(zip);
    expect([err.status, err.code]).toEqual([422, 'invalid_zip_entries']);
    expect(err.message).toMatch(/^The zip cannot be accepted: "\.\.\/passwd" is not a safe path .* \(and 4 more; see details\)$/);
    expect(err.details.map((d) => [d.file, d.message.replace(/;.*/, '')])).toEqual([
      ['../passwd', '"../passwd" is not a safe path inside the zip (invalid relative path)'],
      ['link.png', '"link.png" is a symbolic link'],
      ['secret.csv', '"secret.csv" is password-protected'],
      ['bzip.csv', '"bzip.csv" is compressed with method 12, which is not supported'],
      ['dup.csv', '"dup.csv" appears twice in the zip'],
    ]);
  });

  it('refuses more than maxEntries entries (folders count) with a 413 before reading them', async () => {
    const zip = await zipOf([{ name: 'a/', directory: true }, ...['1', '2', '3'].map((n) => ({ name: `a/${n}.csv`, data: n }))]);
    const err = await reject(zip, { ...limits, maxEntries: 3 });
    expect([err.status, err.code]).toEqual([413, 'payload_too_large']);
    expect(err.message).toBe('The zip holds 4 entries (files and folders); at most 3 are allowed. Remove files or split the upload');
    await expect(readZipUpload(zip, { ...limits, maxEntries: 4 })).resolves.toHaveLength(3);
  });

  describe('zip bombs', () => {
    const small: ZipLimits = { maxEntries: 10, maxEntryBytes: 1_000_000, maxTotalBytes: 1_500_000 };
    let bomb: Buffer;
    let inflation: Inflation;
    beforeAll(async () => {
      bomb = await zipOf([{ name: 'ok.csv', data: 'fine', compress: false }, { name: 'data/zeros.csv', data: Buffer.alloc(50_000_000) }]);
    });
    beforeEach(() => {
      inflation = watchInflation();
    });
    afterEach(() => inflation.restore());

    it('is a real bomb: 50 MB of zeros in about 50 kB', () => {
      expect(bomb.length).toBeLessThan(100_000);
    });

    it('refuses an entry that declares more than maxEntryBytes before inflating anything', async () => {
      const err = await reject(bomb, small);
      expect([err.status, err.code]).toEqual([413, 'payload_too_large']);
      expect(err.message).toBe('"data/zeros.csv" inflates to 50000000 bytes; at most 1000000 bytes are allowed per file. Remove or shrink it');
      expect(err.details).toEqual([{ file: 'data/zeros.csv', message: err.message }]);
      expect([inflation.streams(), inflation.inlineCaps()]).toEqual([0, []]);
    });

    it('refuses entries that together declare more than maxTotalBytes before inflating anything', async () => {
      const zip = await zipOf(['a', 'b', 'c'].map((n) => ({ name: `${n}.csv`, data: Buffer.alloc(600_000) })));
      const err = await reject(zip, small);
      expect(err.status).toBe(413);
      expect(err.message).toBe('The files in the zip inflate to more than 1500000 bytes in total (the limit is passed at "c.csv"); remove files or split the upload');
      expect(err.details[0].file).toBe('c.csv');
      expect([inflation.streams(), inflation.inlineCaps()]).toEqual([0, []]);
      await expect(readZipUpload(zip, { ...small, maxTotalBytes: 1_800_000 })).resolves.toHaveLength(3);
    });

    it('stops a small entry whose headers lie about its size at the declared size', async () => {
      const err = await reject(patch(bomb, 1, 'size', 1000), small);
      expect([err.status, err.code]).toEqual([413, 'payload_too_large']);
      expect(err.message).toBe(
        '"data/zeros.csv" inflates to more than the 1000 bytes its header declares, so the zip is damaged or crafted ' +
          '(limits: 1000000 bytes per file, 1500000 in total). Re-create it with a standard zip tool',
      );
      expect(err.details[0].file).toBe('data/zeros.csv');
      expect([inflation.streams(), inflation.inlineCaps()]).toEqual([0, [1000]]);
    });

    it('stops a streamed entry whose headers lie about its size long before the limit', async () => {
      const err = await reject(patch(bomb, 1, 'size', 200_000), small);
      expect(err.status).toBe(413);
      expect(err.message).toContain('"data/zeros.csv" inflates to more than the 200000 bytes its header declares');
      await settle();
      expect(inflation.streams()).toBe(1);
      // yauzl stops at the declared 200000 bytes; zlib has produced a chunk or two (16 kB each) more by then.
      expect(inflation.streamed()).toBeLessThan(300_000);
    });

    it('refuses data shorter than its header declares as damaged', async () => {
      const zip = await zipOf([{ name: 'a.csv', data: 'x'.repeat(100) }, { name: 'b.csv', data: 'y'.repeat(100_000) }]);
      for (const [index, size] of [[0, 150], [1, 150_000]]) {
        const err = await reject(patch(zip, index, 'size', size), small);
        expect([err.status, err.code]).toEqual([400, 'invalid_zip']);
        expect(err.details[0].file).toBe(index === 0 ? 'a.csv' : 'b.csv');
      }
    });
  });

  it('reads entries on both paths, small and streamed, byte for byte', async () => {
    const big = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251));
    const files = await readZipUpload(await zipOf([{ name: 'small.bin', data: big.subarray(0, 1000) }, { name: 'big.bin', data: big }]), limits);
    expect(files.map((f) => [f.name, f.bytes.equals(f.name === 'big.bin' ? big : big.subarray(0, 1000))])).toEqual([
      ['small.bin', true],
      ['big.bin', true],
    ]);
  });
});
