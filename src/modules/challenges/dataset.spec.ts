import { gzipSync } from 'node:zlib';
import { DatasetError, parseDataset, takeRows } from './dataset.js';

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
});
