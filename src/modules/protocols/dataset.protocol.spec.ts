import { gzipSync } from 'node:zlib';
import { AppError } from '../../core/errors/app-error.js';
import { filesInMemory } from '../challenges/challenge-data.service.js';
import { parseDataset } from '../challenges/dataset.js';
import { datasetProtocol, DatasetSpec, readExampleCsv } from './dataset.protocol.js';

const labels = ['a', 'b'];
const featureNames = ['f1', 'f2', 'f3', 'f4'];
const MAX_FILE_BYTES = 16 * 1024;

function specWith(dataset: Record<string, unknown> = {}) {
  return DatasetSpec.parse({
    slug: 'tiny-dataset',
    version: 1,
    title: 'Tiny',
    protocol: 'dataset',
    data: { test: 'test.csv', dev: 'dev.csv', labels },
    dataset: { maxExamples: 5, ...dataset },
    model: { kind: 'logreg' },
    metric: { name: 'accuracy' },
    limits: { maxFileBytes: MAX_FILE_BYTES },
  });
}
const spec = specWith();

function reject(bytes: string | Buffer): AppError {
  try {
    readExampleCsv(typeof bytes === 'string' ? Buffer.from(bytes) : bytes, spec, featureNames);
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

const HEADER = 'label,f1,f2,f3,f4\n';
const VALID = `${HEADER}a,1,2,3,4\nb,0.5,-1,1e3,0\n\na,0,0,0,7\n`;

describe('readExampleCsv', () => {
  it('parses labels and features, with each example\'s line', () => {
    const ex = readExampleCsv(Buffer.from(VALID), spec, featureNames);
    expect(ex.n).toBe(3);
    expect(ex.d).toBe(4);
    expect(Array.from(ex.y)).toEqual([0, 1, 0]);
    expect(Array.from(ex.x)).toEqual([1, 2, 3, 4, 0.5, -1, 1000, 0, 0, 0, 0, 7]);
    expect(ex.sources).toEqual(['line 2', 'line 3', 'line 5']);
  });

  it('accepts CRLF line endings', () => {
    const ex = readExampleCsv(Buffer.from(VALID.replaceAll('\n', '\r\n')), spec, featureNames);
    expect(ex.sources).toEqual(['line 2', 'line 3', 'line 5']);
  });

  it('accepts a gzip-compressed CSV', () => {
    const ex = readExampleCsv(gzipSync(Buffer.from(VALID)), spec, featureNames);
    expect(ex.n).toBe(3);
    expect(Array.from(ex.x)).toEqual(Array.from(readExampleCsv(Buffer.from(VALID), spec, featureNames).x));
  });

  it('refuses a gzip bomb inflating past 8 × maxFileBytes with 413', () => {
    const bomb = gzipSync(Buffer.from(HEADER + '0,'.repeat(5 * 1024 * 1024)), { level: 9 });
    expect(bomb.length).toBeLessThanOrEqual(MAX_FILE_BYTES);
    const e = reject(bomb);
    expect(e.status).toBe(413);
    expect(e.message).toContain(`${8 * MAX_FILE_BYTES} bytes`);
  });

  it('refuses a file over maxFileBytes with 413', () => {
    expect(reject(HEADER + 'a,1,2,3,4\n'.repeat(2000)).status).toBe(413);
  });

  it('refuses a wrong header with 400, naming the expected header', () => {
    const e = reject('label,f1,f2,f4,f3\na,1,2,3,4\nb,1,2,3,4\n');
    expect(e.status).toBe(400);
    expect(e.code).toBe('invalid_header');
    expect(e.message).toContain('"label,f1,f2,f3,f4"');
    expect(e.details[0].line).toBe(1);
  });

  it('refuses a header without the label column', () => {
    const e = reject('f1,f2,f3,f4\n1,2,3,4\n');
    expect(e.status).toBe(400);
    expect(e.message).toContain('"label,f1,f2,f3,f4"');
  });

  it.each([
    ['an unknown label', `${HEADER}a,1,2,3,4\nc,1,2,3,4\n`, 3, 'label "c" is not one of a, b'],
    ['a non-numeric feature', `${HEADER}a,1,2,x,4\n`, 2, 'column "f3" is not a finite number: "x"'],
    ['an empty feature', `${HEADER}b,1,2,3,4\na,1,,3,4\n`, 3, 'column "f2" is not a finite number: ""'],
    ['an infinite feature', `${HEADER}a,1,2,3,Infinity\n`, 2, 'column "f4" is not a finite number: "Infinity"'],
    ['a huge feature', `${HEADER}a,1,2,3,1e10\n`, 2, 'column "f4" is 10000000000; feature values are at most 1000000000 in absolute value'],
    ['too few columns', `${HEADER}a,1,2,3\n`, 2, 'expected 5 columns (label and 4 features), got 4'],
    ['too many columns', `${HEADER}a,1,2,3,4\nb,1,2,3,4,5\n`, 3, 'expected 5 columns (label and 4 features), got 6'],
  ])('refuses %s with 422 and its line', (_name, text, line, message) => {
    const e = reject(text);
    expect(e.status).toBe(422);
    expect(e.code).toBe('invalid_examples');
    expect(e.details).toEqual([{ line, message }]);
    expect(e.message).toContain(`line ${line}: ${message}`);
  });

  it('refuses a pixel that is not a whole number from 0 to 255 on an image challenge', () => {
    const image = specWith({ image: { width: 2, height: 2 } });
    expect(readExampleCsv(Buffer.from(`${HEADER}a,0,255,17,3\n`), image, featureNames).n).toBe(1);
    for (const pixel of ['1.5', '-1', '256']) {
      expect(() => readExampleCsv(Buffer.from(`${HEADER}a,0,${pixel},17,3\n`), image, featureNames)).toThrow(
        expect.objectContaining({ status: 422, details: [{ line: 2, message: `column "f2" is a pixel: a whole number from 0 to 255, not "${pixel}"` }] }),
      );
    }
  });

  it('lists every bad line', () => {
    const e = reject(`${HEADER}c,1,2,3,4\na,1,2,3,4\nb,1,2\n`);
    expect(e.details.map((d) => d.line)).toEqual([2, 4]);
  });

  it('refuses more than maxExamples examples with 422 too_many_examples', () => {
    const e = reject(HEADER + 'a,1,2,3,4\n'.repeat(6));
    expect(e.status).toBe(422);
    expect(e.code).toBe('too_many_examples');
    expect(e.message).toContain('6 examples');
    expect(e.message).toContain('at most 5');
  });
});

const TEST_CSV = 'id,label,f1,f2,f3,f4\nsecret-t1,a,1,2,3,4\nsecret-t2,b,5,6,7,8\nsecret-t3,a,0.25,0,0,1\n';
const DEV_CSV = 'id,label,f1,f2,f3,f4\nd1,a,9,9,9,9\nd2,b,8,8,8,8\n';
const file = (role: string, text: string) => ({ file: { role, labels }, bytes: Buffer.from(text) });
const server = () => filesInMemory([file('test', TEST_CSV), file('dev', DEV_CSV)]);
const offline = () => filesInMemory([file('dev', DEV_CSV)]);

async function rejectUpload(text: string, data = server()): Promise<AppError> {
  try {
    await datasetProtocol.validate(Buffer.from(text), spec, data);
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('datasetProtocol.validate', () => {
  it('accepts examples of two classes that are not test examples', async () => {
    const ex = await datasetProtocol.validate(Buffer.from(`${HEADER}a,1,2,3,5\nb,5,6,7,9\n`), spec, server());
    expect(ex.n).toBe(2);
    expect(datasetProtocol.itemCount(ex)).toBe(2);
  });

  it.each([
    ['copied as is', 'b,1,2,3,4'],
    ['written as 5.0, 7e0 and 08', 'b,5.0,6,7e0,08'],
    ['written with -0 and 1.000', 'a,.25,-0,0.0,1.000'],
  ])('refuses an upload containing a test example (%s) without saying which line or which test example', async (_how, copy) => {
    const e = await rejectUpload(`${HEADER}a,9,9,9,1\nb,8,8,8,8\n${copy}\n`);
    expect(e.status).toBe(422);
    expect(e.code).toBe('test_contamination');
    expect(e.details).toEqual([{ field: 'file', message: 'holds at least one example identical to a hidden test example' }]);
    expect(e.message).not.toMatch(/line \d/);
    expect(e.message).not.toMatch(/secret-t/);
  });

  it('accepts the same examples when none is a test example', async () => {
    expect((await datasetProtocol.validate(Buffer.from(`${HEADER}a,9,9,9,1\nb,8,8,8,8\na,0,0,0,0\n`), spec, server())).n).toBe(3);
  });

  it('refuses examples of one class only', async () => {
    const e = await rejectUpload(`${HEADER}a,1,2,3,5\na,5,6,7,9\n`);
    expect(e.status).toBe(422);
    expect(e.code).toBe('invalid_examples');
    expect(e.message).toContain('Every example has the label "a"');
  });

  it('refuses a header and no examples', async () => {
    const e = await rejectUpload(HEADER);
    expect(e.status).toBe(422);
    expect(e.message).toContain('no examples');
  });

  it('refuses a zip on a challenge without dataset.image', async () => {
    const emptyZip = Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]);
    await expect(datasetProtocol.validate(emptyZip, spec, server())).rejects.toMatchObject({ status: 400, code: 'unsupported_format' });
  });

  it('offline (only the dev file) skips the contamination check and reads the header from dev', async () => {
    const data = offline();
    expect(data.has('test')).toBe(false);
    const ex = await datasetProtocol.validate(Buffer.from(`${HEADER}a,1,2,3,4\nb,5,6,7,8\n`), spec, data);
    expect(ex.n).toBe(2);
    expect(Array.from(ex.x)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('datasetProtocol.checkData', () => {
  const bundle = () => new Map([
    ['test', parseDataset(Buffer.from(TEST_CSV), 'test.csv', labels)],
    ['dev', parseDataset(Buffer.from(DEV_CSV), 'dev.csv', labels)],
  ]);

  it('accepts an image declaration matching the feature count', () => {
    const checked = datasetProtocol.checkData(specWith({ image: { width: 2, height: 2 } }), bundle());
    expect(checked.problems).toEqual([]);
    expect(checked.summary).toMatchObject({ testRows: 3, devRows: 2, starterRows: null, features: 4, featureNames });
  });

  it('refuses an image declaration whose width × height is not the feature count', () => {
    const checked = datasetProtocol.checkData(specWith({ image: { width: 3, height: 2 } }), bundle());
    expect(checked.problems).toEqual(['test.csv: has 4 features; dataset.image (3×2) needs 6 pixel columns']);
  });

  it('refuses a dev split with other feature columns', () => {
    const data = bundle();
    data.set('dev', parseDataset(Buffer.from('id,label,f1,f2,f3,g4\nd1,a,1,1,1,1\n'), 'dev.csv', labels));
    expect(datasetProtocol.checkData(spec, data).problems).toEqual(['test.csv and dev.csv must have the same feature columns in the same order']);
  });
});
