import zlib from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import yazl from 'yazl';
import { AppError } from '../../../core/errors/app-error.js';
import { readImageZip, type ImageRules } from './image-dataset.js';
import { readZipUpload, type ZipFile } from './zip-upload.js';

const rules: ImageRules = { width: 4, height: 3, labels: ['0', '1', 'cat'], maxExamples: 10 };
const D = rules.width * rules.height;

/** `channels`-band 8-bit pixels of a w × h image, value(i, band) for pixel i. */
function pixels(w: number, h: number, channels: 1 | 3 | 4, value: (i: number, band: number) => number): Buffer {
  const out = Buffer.alloc(w * h * channels);
  for (let i = 0; i < w * h; i++) for (let b = 0; b < channels; b++) out[i * channels + b] = value(i, b);
  return out;
}

/** Raw pixels as sharp sees them: one channel is gray (sharp would write it as sRGB otherwise). */
function image(raw: Buffer, w: number, h: number, channels: 1 | 3 | 4): Sharp {
  const img = sharp(raw, { raw: { width: w, height: h, channels } });
  return channels === 1 ? img.toColourspace('b-w') : img;
}

function png(raw: Buffer, w = rules.width, h = rules.height, channels: 1 | 3 | 4 = 1): Promise<Buffer> {
  return image(raw, w, h, channels).png().toBuffer();
}

function jpeg(raw: Buffer, w = rules.width, h = rules.height, channels: 1 | 3 = 1): Promise<Buffer> {
  return image(raw, w, h, channels).jpeg({ quality: 100 }).toBuffer();
}

const gradient = pixels(rules.width, rules.height, 1, (i) => i * 20);
const flat = (v: number): Buffer => pixels(rules.width, rules.height, 1, () => v);

async function reject(files: ZipFile[], with_: ImageRules = rules): Promise<AppError> {
  try {
    await readImageZip(files, with_);
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('readImageZip', () => {
  it('decodes PNG and JPEG images from label folders into gray rows sorted by name', async () => {
    const files: ZipFile[] = [
      { name: 'cat/b.PNG', bytes: await png(gradient) },
      { name: '0/z.jpg', bytes: await jpeg(flat(200)) },
      { name: '1/a.jpeg', bytes: await jpeg(flat(60)) },
      { name: 'cat/a.png', bytes: await png(flat(7)) },
    ];
    const out = await readImageZip(files, rules);
    expect(out.names).toEqual(['0/z.jpg', '1/a.jpeg', 'cat/a.png', 'cat/b.PNG']);
    expect(Array.from(out.labels)).toEqual([0, 1, 2, 2]);
    expect([out.n, out.d, out.features.length]).toEqual([4, D, 4 * D]);
    expect(Array.from(out.features.subarray(2 * D, 3 * D))).toEqual(Array(D).fill(7));
    expect(Array.from(out.features.subarray(3 * D))).toEqual(Array.from(gradient));
    // JPEG is lossy; a flat image survives within a level or two.
    for (const v of out.features.subarray(0, D)) expect(Math.abs(v - 200)).toBeLessThanOrEqual(2);
    for (const v of out.features.subarray(D, 2 * D)) expect(Math.abs(v - 60)).toBeLessThanOrEqual(2);
  });

  it('writes gray fixtures as gray and colour ones as colour', async () => {
    expect((await sharp(await png(gradient)).metadata()).channels).toBe(1);
    expect((await sharp(await jpeg(gradient)).metadata()).channels).toBe(1);
    expect((await sharp(await png(pixels(4, 3, 3, () => 1), 4, 3, 3)).metadata()).channels).toBe(3);
  });

  it('gives the same gray for the same picture saved as gray, as RGB and as gray + alpha', async () => {
    const files: ZipFile[] = [
      { name: '0/gray.png', bytes: await png(gradient) },
      { name: '0/rgb.png', bytes: await png(pixels(4, 3, 3, (i) => gradient[i]), 4, 3, 3) },
      { name: '0/rgba.png', bytes: await png(pixels(4, 3, 4, (i, b) => (b === 3 ? 255 : gradient[i])), 4, 3, 4) },
    ];
    const out = await readImageZip(files, rules);
    expect(out.names).toEqual(['0/gray.png', '0/rgb.png', '0/rgba.png']);
    for (let k = 0; k < 3; k++) expect(Array.from(out.features.subarray(k * D, (k + 1) * D))).toEqual(Array.from(gradient));
  });

  it('reads a zip with one top folder, skipping macOS junk, end to end', async () => {
    const zip = new yazl.ZipFile();
    zip.addBuffer(await png(flat(1)), 'mydata/cat/x.png');
    zip.addBuffer(await png(flat(2)), 'mydata/0/y.png');
    zip.addBuffer(Buffer.from('apple double'), '__MACOSX/mydata/cat/._x.png');
    zip.addBuffer(Buffer.from('apple double'), 'mydata/cat/._x.png');
    zip.addBuffer(Buffer.from('finder'), 'mydata/.DS_Store');
    zip.end();
    const chunks: Buffer[] = [];
    for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
    const files = await readZipUpload(Buffer.concat(chunks), { maxEntries: 10, maxEntryBytes: 10_000, maxTotalBytes: 100_000 });
    const out = await readImageZip(files, rules);
    expect(out.names).toEqual(['mydata/0/y.png', 'mydata/cat/x.png']);
    expect(Array.from(out.labels)).toEqual([0, 2]);
    expect([out.features[0], out.features[D]]).toEqual([2, 1]);
  });

  it.each<[string, () => Promise<Buffer>, number, number?]>([
    ['pure red → linear-light Rec. 709 luminance, not 0.299 R', () => png(pixels(4, 3, 3, (_, b) => (b === 0 ? 255 : 0)), 4, 3, 3), 127],
    ['transparent white → flattened onto black', () => png(pixels(4, 3, 4, (_, b) => (b === 3 ? 0 : 255)), 4, 3, 4), 0],
    ['opaque gray with alpha → its gray', () => png(pixels(4, 3, 4, (_, b) => (b === 3 ? 255 : 90)), 4, 3, 4), 90],
    ['16-bit gray → 8 bits', () => sharp(flat(128), { raw: { width: 4, height: 3, channels: 1 } }).toColourspace('grey16').png().toBuffer(), 128],
    ['palette PNG', () => sharp(pixels(4, 3, 3, () => 50), { raw: { width: 4, height: 3, channels: 3 } }).png({ palette: true }).toBuffer(), 50],
    ['colour JPEG of one gray', () => jpeg(pixels(4, 3, 3, () => 150), 4, 3, 3), 150],
    ['CMYK JPEG', () => sharp(pixels(4, 3, 3, () => 150), { raw: { width: 4, height: 3, channels: 3 } }).toColourspace('cmyk').jpeg().toBuffer(), 150, 16],
  ])('converts to 8-bit gray: %s', async (_, make, expected, tolerance = 1) => {
    const bytes = await make();
    const out = await readImageZip([{ name: '0/a.png', bytes }], rules);
    // The CMYK round trip goes through sharp's CMYK profile and back.
    for (const v of out.features) expect(Math.abs(v - expected)).toBeLessThanOrEqual(tolerance);
  });

  it('applies the EXIF orientation before checking the size', async () => {
    const sideways = await sharp(flat(30).subarray(0, 12), { raw: { width: 3, height: 4, channels: 1 } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const out = await readImageZip([{ name: '1/rotated.jpg', bytes: sideways }], rules);
    expect(out.n).toBe(1);
  });

  it('collects every problem, one detail per file, into one 422', async () => {
    const files: ZipFile[] = [
      { name: 'big.png', bytes: await png(flat(1)) },
      { name: 'dog/a.png', bytes: await png(flat(1)) },
      { name: 'dog/b.png', bytes: await png(flat(1)) },
      { name: 'cat/sub/c.png', bytes: await png(flat(1)) },
      { name: 'cat/notes.txt', bytes: Buffer.from('hello') },
      { name: 'cat/README', bytes: Buffer.from('hello') },
      { name: '0/large.png', bytes: await png(pixels(8, 6, 1, () => 0), 8, 6) },
      { name: '0/small.jpg', bytes: await jpeg(pixels(2, 2, 1, () => 0), 2, 2) },
      { name: '1/truncated.png', bytes: (await png(gradient)).subarray(0, 40) },
      { name: '1/gif.png', bytes: Buffer.from('GIF89a\x04\x00\x03\x00', 'latin1') },
      { name: '1/fine.png', bytes: await png(gradient) },
    ];
    const err = await reject(files);
    expect([err.status, err.code]).toEqual([422, 'invalid_images']);
    expect(err.message).toMatch(/^The images cannot be accepted: "0\/large\.png" is 8×6 pixels; this challenge needs 4×3\. .* \(and 8 more; see details\)$/);
    expect(err.details.map((d) => [d.file, d.message])).toEqual([
      ['0/large.png', '"0/large.png" is 8×6 pixels; this challenge needs 4×3. Resize it to exactly 4×3'],
      ['0/small.jpg', '"0/small.jpg" is 2×2 pixels; this challenge needs 4×3. Resize it to exactly 4×3'],
      ['1/gif.png', '"1/gif.png" is not a PNG or JPEG image (its content is something else); save it as PNG or JPEG'],
      ['1/truncated.png', expect.stringMatching(/^"1\/truncated\.png" could not be decoded \(.+\); open it in an image editor and save it again as PNG or JPEG$/)],
      ['big.png', '"big.png" is not inside a label folder; put each image in the folder of its label, e.g. "0/big.png"'],
      ['cat/README', '"cat/README" has no file extension; only .png, .jpg and .jpeg images are accepted'],
      ['cat/notes.txt', '"cat/notes.txt" has the extension ".txt"; only .png, .jpg and .jpeg images are accepted'],
      ['cat/sub/c.png', '"cat/sub/c.png" is in a subfolder of the label folder "cat"; put images directly in their label folder'],
      ['dog/', 'the folder "dog/" is not a label of this challenge (it holds 2 files, e.g. "dog/a.png"); the label folders are "0", "1", "cat"'],
    ]);
  });

  it('names the folder of a top folder in its problems', async () => {
    const err = await reject([
      { name: 'mydata/dog/a.png', bytes: await png(flat(1)) },
      { name: 'mydata/b.png', bytes: await png(flat(1)) },
    ]);
    expect(err.details.map((d) => d.file)).toEqual(['mydata/b.png', 'mydata/dog/']);
    expect(err.details[0].message).toContain('e.g. "mydata/0/b.png"');
  });

  it('refuses an image whose header claims a huge size without decoding it (decompression bomb)', async () => {
    const bytes = Buffer.from(await png(flat(0)));
    // IHDR: length(4) "IHDR"(4) width(4) height(4) ... CRC over type and data.
    bytes.writeUInt32BE(100_000, 16);
    bytes.writeUInt32BE(100_000, 20);
    bytes.writeUInt32BE(zlib.crc32(bytes.subarray(12, 29)), 29);
    const err = await reject([{ name: 'cat/bomb.png', bytes }]);
    expect(err.details).toEqual([{ file: 'cat/bomb.png', message: '"cat/bomb.png" is 100000×100000 pixels; this challenge needs 4×3. Resize it to exactly 4×3' }]);
  });

  it('refuses more than maxExamples images before decoding any', async () => {
    const files = Array.from({ length: 4 }, (_, i) => ({ name: `0/${i}.png`, bytes: Buffer.from('not even an image') }));
    const err = await reject(files, { ...rules, maxExamples: 3 });
    expect([err.status, err.code]).toEqual([422, 'too_many_examples']);
    expect(err.message).toBe('The zip holds 4 images; this challenge accepts at most 3. Remove 1 of them');
  });

  it('refuses a zip without images', async () => {
    const err = await reject([]);
    expect(err.message).toBe('The images cannot be accepted: the zip holds no images; expected one folder per label ("0", "1", "cat") holding .png or .jpg images');
  });

  it('lists at most 50 problems, then how many more', async () => {
    const files = Array.from({ length: 60 }, (_, i) => ({ name: `0/${String(i).padStart(2, '0')}.png`, bytes: Buffer.from('junk') }));
    const err = await reject(files, { ...rules, maxExamples: 100 });
    expect(err.details).toHaveLength(51);
    expect(err.details[50]).toEqual({ message: '... and 10 more problems' });
    expect(err.message).toContain('(and 59 more; see details)');
  });
});
