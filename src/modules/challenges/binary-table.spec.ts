import { BINARY_TABLE_ALIGN, BinaryTableError, binaryTableHead, encodeBinaryTable, isBinaryTable, readBinaryTable } from './binary-table.js';

const features = ['f0', 'f1', 'f2'];
const ids = ['a', 'b', 'c', 'd'];
const values = Float32Array.from({ length: 12 }, (_, i) => i / 4 - 1);

function table(overrides: Partial<Parameters<typeof encodeBinaryTable>[0]> = {}): Buffer {
  return encodeBinaryTable({ ids, features, values, labels: ['x', 'y'], labelIndices: Int32Array.from([0, 1, 1, 0]), ...overrides });
}

/** The error readBinaryTable throws for `bytes`. */
function problem(bytes: Buffer): BinaryTableError {
  try {
    readBinaryTable(bytes);
  } catch (e) {
    if (e instanceof BinaryTableError) return e;
    throw e;
  }
  throw new Error('readBinaryTable accepted the file');
}

/** The byte offset of the features in `bytes`. */
function featuresAt(bytes: Buffer): number {
  return 12 + bytes.readUInt32LE(8);
}

/** A copy of `bytes` whose header JSON is `json` (padded as the writer pads it). */
function withHeaderJson(bytes: Buffer, json: string): Buffer {
  const length = Math.ceil((12 + Buffer.byteLength(json)) / 64) * 64 - 12;
  const head = Buffer.alloc(12 + length, 0x20);
  head.write('SIEVETBL', 0, 'latin1');
  head.writeUInt32LE(length, 8);
  head.write(json, 12, 'utf8');
  return Buffer.concat([head, bytes.subarray(featuresAt(bytes))]);
}

describe('binary tables', () => {
  it('round-trips ids, labels and float32 features, the features a view of the bytes', () => {
    const bytes = table();
    expect(isBinaryTable(bytes)).toBe(true);
    expect(featuresAt(bytes) % BINARY_TABLE_ALIGN).toBe(0);
    const t = readBinaryTable(bytes);
    expect(t.header).toEqual({ format: 'sieve-table', version: 1, rows: 4, dtype: 'float32', features, labels: ['x', 'y'] });
    expect(t.ids).toEqual(ids);
    expect([...t.rowById]).toEqual([['a', 0], ['b', 1], ['c', 2], ['d', 3]]);
    expect(Array.from(t.labelIndices!)).toEqual([0, 1, 1, 0]);
    expect(t.values).toBeInstanceOf(Float32Array);
    expect(Array.from(t.values)).toEqual(Array.from(values));
    expect(t.values.buffer).toBe(bytes.buffer);
  });

  it('reads float64 features and unlabeled tables', () => {
    const f64 = Float64Array.from({ length: 12 }, (_, i) => Math.PI * i);
    const t = readBinaryTable(encodeBinaryTable({ ids, features, values: f64 }));
    expect(t.header.dtype).toBe('float64');
    expect(t.header.labels).toBeUndefined();
    expect(t.labelIndices).toBeUndefined();
    expect(Array.from(t.values)).toEqual(Array.from(f64));
  });

  it('copies the features when the bytes sit misaligned in memory', () => {
    const bytes = table();
    const shifted = Buffer.alloc(bytes.length + 1).subarray(1);
    bytes.copy(shifted);
    const t = readBinaryTable(shifted);
    expect(Array.from(t.values)).toEqual(Array.from(values));
    expect(Array.from(t.labelIndices!)).toEqual([0, 1, 1, 0]);
  });

  it('reads a table in shared memory as views of that memory', () => {
    const bytes = table();
    const shared = Buffer.from(new SharedArrayBuffer(bytes.length));
    bytes.copy(shared);
    const t = readBinaryTable(shared);
    expect(Object.prototype.toString.call(t.values.buffer)).toBe('[object SharedArrayBuffer]');
  });

  it('reads an empty table', () => {
    const t = readBinaryTable(encodeBinaryTable({ ids: [], features, values: new Float32Array(0) }));
    expect([t.ids, t.values.length]).toEqual([[], 0]);
  });

  describe('refuses, saying what and where', () => {
    const good = table();
    const at = featuresAt(good);
    const valueBytes = values.byteLength;
    const idsAt = at + valueBytes + 16;

    it.each<[string, () => Buffer, RegExp]>([
      ['another format', () => Buffer.from('id,f0\na,1\n'), /does not start with "SIEVETBL"/],
      ['a file cut inside the preamble', () => good.subarray(0, 10), /truncated: 10 bytes/],
      ['a header length past the end', () => good.subarray(0, 40), /truncated: the header is 116 bytes long but the file has only 28 bytes after its length/],
      ['a header length beyond the cap', () => Buffer.concat([good.subarray(0, 8), Buffer.from([0xff, 0xff, 0xff, 0xff])]), /the header length is 4294967295 bytes/],
      ['features that start unaligned', () => {
        const b = Buffer.from(good);
        b.writeUInt32LE(b.readUInt32LE(8) - 4, 8);
        return b;
      }, /the features start at byte 124, which is not a multiple of 64: pad the header with spaces to 116 bytes/],
      ['a header that is not JSON', () => withHeaderJson(good, '{"rows": 4,'), /the header is not UTF-8 JSON/],
      ['a header of another version', () => withHeaderJson(good, JSON.stringify({ format: 'sieve-table', version: 2, rows: 4, dtype: 'float32', features })), /the header is not valid: version: Invalid input: expected 1/],
      ['an unknown dtype', () => withHeaderJson(good, JSON.stringify({ format: 'sieve-table', version: 1, rows: 4, dtype: 'float16', features })), /dtype: Invalid option/],
      ['an unknown header key', () => withHeaderJson(good, JSON.stringify({ format: 'sieve-table', version: 1, rows: 4, dtype: 'float32', features, order: 'C' })), /Unrecognized key: "order"/],
      ['duplicate feature names', () => withHeaderJson(good, JSON.stringify({ format: 'sieve-table', version: 1, rows: 4, dtype: 'float32', features: ['f0', 'f0', 'f1'] })), /features: feature names must be unique/],
      ['a feature named label', () => withHeaderJson(good, JSON.stringify({ format: 'sieve-table', version: 1, rows: 4, dtype: 'float32', features: ['f0', 'label', 'f1'] })), /"id" and "label" are not feature names/],
      ['a file cut inside the features', () => good.subarray(0, at + 20), /truncated: 4 × 3 float32 features and 4 int32 labels need 64 bytes after the header, the file has 20/],
      ['a file cut inside the labels', () => good.subarray(0, at + valueBytes + 6), /truncated: .* need 64 bytes after the header, the file has 54/],
      ['a file that ends where the ids start', () => good.subarray(0, idsAt), /truncated: the file ends where the ids should start \(the header says 4 rows\)/],
      ['a file cut inside the ids', () => good.subarray(0, good.length - 1), /truncated: the ids section does not end with "\\n" \(the last id, "d"/],
      ['fewer rows than the header says', () => withHeaderJson(good, JSON.stringify({ format: 'sieve-table', version: 1, rows: 3, dtype: 'float32', features, labels: ['x', 'y'] })), /the header says 3 rows but the ids section holds/],
      ['more rows than the file holds', () => withHeaderJson(good, JSON.stringify({ format: 'sieve-table', version: 1, rows: 5, dtype: 'float32', features, labels: ['x', 'y'] })), /truncated|ids section holds/],
      ['bytes after the last id', () => Buffer.concat([good, Buffer.from('e\n')]), /the header says 4 rows but the ids section holds 5 ids/],
      ['an unlabeled header over a labeled body', () => withHeaderJson(good, JSON.stringify({ format: 'sieve-table', version: 1, rows: 4, dtype: 'float32', features })), /row 1: id "\\u0000\\u0000.*" holds a control character/],
    ])('%s', (_what, bytes, message) => {
      expect(problem(bytes()).message).toMatch(message);
    });

    it.each([
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
      [Number.NEGATIVE_INFINITY, '-Infinity'],
    ])('a feature that is %s, naming the row, its id and the feature', (value, shown) => {
      const bad = Float32Array.from(values);
      bad[7] = value;
      const e = problem(table({ values: bad }));
      expect(e.message).toBe(`row 3 (id "c"), feature "f1": not a finite number (${shown})`);
      expect(e.row).toBe(2);
    });

    it('a label index out of range', () => {
      expect(problem(table({ labelIndices: Int32Array.from([0, 1, 2, 0]) })).message).toBe('row 3 (id "c"): label index 2 is not one of the header\'s 2 labels (0 to 1)');
      expect(problem(table({ labelIndices: Int32Array.from([-1, 1, 1, 0]) })).message).toMatch(/^row 1 \(id "a"\): label index -1/);
    });

    it.each([
      [['a', 'b', 'a', 'd'], 'row 3: duplicate id "a" (first on row 1)'],
      [['a', '', 'c', 'd'], 'row 2: empty id'],
      [['a', 'b', ' c', 'd'], 'row 3: id " c" starts or ends with white space'],
      [['a', 'b\r', 'c', 'd'], 'row 2: id "b\\r" starts or ends with white space'],
      [['a', 'b\tb', 'c', 'd'], 'row 2: id "b\\tb" holds a control character'],
    ])('ids %j', (badIds, message) => {
      expect(problem(table({ ids: badIds })).message).toBe(message);
    });

    it('ids that are not UTF-8', () => {
      const bytes = Buffer.from(good);
      bytes[idsAt] = 0xff;
      expect(problem(bytes).message).toBe('the ids are not valid UTF-8');
    });
  });

  it('writes a head that reads back', () => {
    const head = binaryTableHead({ format: 'sieve-table', version: 1, rows: 0, dtype: 'float64', features: ['x'] });
    expect(head.length % 64).toBe(0);
    expect(readBinaryTable(head).header.dtype).toBe('float64');
  });
});
