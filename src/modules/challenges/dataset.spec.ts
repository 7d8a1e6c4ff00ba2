import { gzipSync } from 'node:zlib';
import { encodeBinaryTable } from './binary-table.js';
import { DatasetError, parseDataset, rowIndex, takeRows } from './dataset.js';

const labels = ['a', 'b'];

describe('parseDataset', () => {
  it('reads ids, labels and features from CSV and gzip CSV alike', () => {
    const csv = Buffer.from('id,label,f0,f1\nx1,a,0.5,1\nx2,b,-2,3.25\n');
    for (const bytes of [csv, gzipSync(csv)]) {
      const ds = parseDataset(bytes, 'pool.csv', labels);
      expect(ds.ids).toEqual(['x1', 'x2']);
      expect(Array.from(ds.labels)).toEqual([0, 1]);
      expect(Array.from(ds.features)).toEqual([0.5, 1, -2, 3.25]);
      expect([ds.n, ds.d, ds.labeled]).toEqual([2, 2, true]);
    }
  });

  it('marks an unlabeled pool', () => {
    const ds = parseDataset(Buffer.from('id,f0\nx1,1\n'), 'pool.csv', labels);
    expect(ds.labeled).toBe(false);
    expect(Array.from(ds.labels)).toEqual([-1]);
  });

  it.each([
    ['id,label,f0\nx1,a,1\nx1,b,2\n', 'pool.csv, line 3: duplicate id "x1"'],
    ['id,label,f0\nx1,c,1\n', 'pool.csv, line 2: label "c" is not one of'],
    ['id,label,f0\nx1,a,abc\n', 'pool.csv, line 2: column "f0" is not a finite number'],
    ['name,f0\nx1,1\n', 'pool.csv, line 1: no "id" column'],
    ['', 'pool.csv: the file is empty'],
  ])('names the file and line of a problem in %j', (text, message) => {
    expect(() => parseDataset(Buffer.from(text), 'pool.csv', labels)).toThrow(DatasetError);
    expect(() => parseDataset(Buffer.from(text), 'pool.csv', labels)).toThrow(message);
  });

  it('takes rows by index', () => {
    const ds = parseDataset(Buffer.from('id,label,f0\nx1,a,1\nx2,b,2\nx3,a,3\n'), 'p.csv', labels);
    const t = takeRows(ds, [2, 0]);
    expect(Array.from(t.x)).toEqual([3, 1]);
    expect(Array.from(t.y)).toEqual([0, 0]);
  });

  it('keeps features in shared memory and indexes the ids while parsing', () => {
    const ds = parseDataset(Buffer.from('id,label,f0\nx1,a,1\nx2,b,2\n'), 'p.csv', labels);
    expect(Object.prototype.toString.call(ds.features.buffer)).toBe('[object SharedArrayBuffer]');
    expect(ds.values).toBe(ds.features);
    expect([...rowIndex(ds)]).toEqual([['x1', 0], ['x2', 1]]);
    expect(Object.prototype.toString.call(takeRows(ds, [1]).x.buffer)).toBe('[object SharedArrayBuffer]');
  });
});

describe('parseDataset on a binary table', () => {
  // 0.1 is not a float32: the table holds its nearest float32, and that is what the model sees
  const values = Float32Array.from([0.1, 1, -2, 3.25, 5, 6]);
  const bytes = (extra: Partial<Parameters<typeof encodeBinaryTable>[0]> = {}) =>
    encodeBinaryTable({ ids: ['x1', 'x2', 'x3'], features: ['f0', 'f1'], values, labels: ['b', 'a'], labelIndices: Int32Array.from([0, 1, 0]), ...extra });

  it("reads ids, features and labels, mapping the file's label names onto the challenge's", () => {
    const ds = parseDataset(bytes(), 'pool.sbt', labels);
    expect(ds.ids).toEqual(['x1', 'x2', 'x3']);
    expect(Array.from(ds.labels)).toEqual([1, 0, 1]);
    expect([ds.n, ds.d, ds.labeled, ds.featureNames]).toEqual([3, 2, true, ['f0', 'f1']]);
    expect(ds.values).toBeInstanceOf(Float32Array);
    expect(Array.from(ds.values)).toEqual(Array.from(values));
    expect([...rowIndex(ds)]).toEqual([['x1', 0], ['x2', 1], ['x3', 2]]);
  });

  it('takes rows from the float32 values, widening only those rows', () => {
    const ds = parseDataset(bytes(), 'pool.sbt', labels);
    const t = takeRows(ds, [2, 0]);
    expect(Array.from(t.x)).toEqual([5, 6, Math.fround(0.1), 1]);
    expect(Array.from(t.y)).toEqual([1, 1]);
  });

  it('widens every feature to float64 on first read of `features`, once, in shared memory', () => {
    const ds = parseDataset(bytes(), 'pool.sbt', labels);
    const x = ds.features;
    expect(x).toBeInstanceOf(Float64Array);
    expect(Array.from(x)).toEqual(Array.from(values));
    expect(ds.features).toBe(x);
    expect(Object.prototype.toString.call(x.buffer)).toBe('[object SharedArrayBuffer]');
  });

  it('uses float64 values as they are', () => {
    const f64 = Float64Array.from([0.1, 1, -2, 3.25, 5, 6]);
    const ds = parseDataset(bytes({ values: f64 }), 'pool.sbt', labels);
    expect(ds.features).toBe(ds.values);
    expect(Array.from(ds.features)).toEqual(Array.from(f64));
  });

  it('reads an unlabeled table', () => {
    const ds = parseDataset(bytes({ labels: undefined, labelIndices: undefined }), 'pool.sbt', labels);
    expect(ds.labeled).toBe(false);
    expect(Array.from(ds.labels)).toEqual([-1, -1, -1]);
  });

  it.each<[string, () => Buffer, string, string]>([
    ['a label the challenge does not have', () => bytes({ labels: ['a', 'c'] }), 'pool.sbt', 'pool.sbt: the header\'s label "c" is not one of the challenge\'s labels (a, b)'],
    ['a truncated table', () => bytes().subarray(0, 150), 'pool.sbt', 'pool.sbt: truncated: 3 × 2 float32 features and 3 int32 labels need 36 bytes after the header'],
    ['a NaN', () => bytes({ values: Float32Array.from([0, 1, 2, Number.NaN, 4, 5]) }), 'pool.sbt', 'pool.sbt: row 2 (id "x2"), feature "f1": not a finite number (NaN)'],
    ['CSV named .sbt', () => Buffer.from('id,f0\nx1,1\n'), 'pool.sbt', 'pool.sbt: not a Sieve binary table (it does not start with "SIEVETBL")'],
    ['gzip named .sbt', () => gzipSync(bytes()), 'pool.sbt', 'pool.sbt: not a Sieve binary table'],
    ['a binary table named .csv.gz', () => bytes(), 'pool.csv.gz', 'pool.csv.gz: this is a Sieve binary table, not CSV: name it .sbt'],
  ])('refuses %s, naming the file', (_what, data, file, message) => {
    expect(() => parseDataset(data(), file, labels)).toThrow(DatasetError);
    expect(() => parseDataset(data(), file, labels)).toThrow(message);
  });
});
