import { AppError } from '../../core/errors/app-error.js';
import { Xoshiro128 } from '../../core/random/random.js';
import { isPlainCsv, parsedCsvRecords, plainCsvRecords, readCsvUpload } from './csv-upload.js';

describe('plain CSV records', () => {
  // Every character that decides how a plain line is cut: separators, line ends, the white
  // space String.prototype.trim and csv-parse's trim remove (tab, NBSP, U+2028, BOM…), and
  // characters that are neither (NEL U+0085, a zero-width space).
  const alphabet = ['a', 'b', '7', 'é', ',', ',', ' ', ' ', '\t', '\n', '\n', '\r\n', '\u00a0', '\u2028', '\u3000', '\ufeff', '\u000b', '\u0085', '\u200b'];

  it('reads every quote-free text exactly as csv-parse does, lines included', () => {
    const random = new Xoshiro128(7);
    for (let t = 0; t < 3000; t++) {
      const length = random.nextBelow(40);
      const text = Array.from({ length }, () => alphabet[random.nextBelow(alphabet.length)]).join('');
      expect(isPlainCsv(text)).toBe(true);
      expect({ text, records: plainCsvRecords(text) }).toEqual({ text, records: parsedCsvRecords(text) });
    }
  });

  it.each([
    ['id\np1\n', true],
    ['id\r\np1\r\n', true],
    ['id\n"p1"\n', false],
    ['id\rp1\n', false],
    ['id\np1\r', false],
  ])('%j is plain: %s', (text, plain) => {
    expect(isPlainCsv(text)).toBe(plain);
  });

  it('numbers records by line, skipping blank lines', () => {
    expect(plainCsvRecords('id\n\n p1 \r\n  \n,\np2,x')).toEqual([
      { record: ['id'], line: 1 },
      { record: ['p1'], line: 3 },
      { record: ['', ''], line: 5 },
      { record: ['p2', 'x'], line: 6 },
    ]);
  });
});

describe('readCsvUpload', () => {
  const rules = { maxFileBytes: 1 << 20, header: ['id'], format: 'a CSV with the header "id"' };

  function refusal(text: string): AppError {
    try {
      readCsvUpload(Buffer.from(text), rules);
    } catch (e) {
      if (e instanceof AppError) return e;
      throw e;
    }
    throw new Error('expected a refusal');
  }

  it('reads quoted files with the CSV parser', () => {
    expect(readCsvUpload(Buffer.from('id\n"p,1"\n"p ""2"""\n'), rules)).toEqual([
      { record: ['p,1'], line: 2 },
      { record: ['p "2"'], line: 3 },
    ]);
  });

  it('counts a lone carriage return as csv-parse does', () => {
    expect(readCsvUpload(Buffer.from('id\np1\rp2\np3\n'), rules)).toEqual([
      { record: ['p1\rp2'], line: 3 },
      { record: ['p3'], line: 4 },
    ]);
  });

  it('names the first line that is too long, counting CRLF as one line end', () => {
    const e = refusal(`id\r\np1\r\n${'x'.repeat(1025)}\r\n${'y'.repeat(2000)}\n`);
    expect([e.code, e.details[0]]).toEqual(['line_too_long', { line: 3, message: '1025 characters (limit 1024)' }]);
    expect(readCsvUpload(Buffer.from(`id\r\n${'x'.repeat(1024)}\r\n`), rules)).toHaveLength(1);
  });

  it('finds the header after blank lines', () => {
    expect(readCsvUpload(Buffer.from('\n \r\nid\np1\n'), rules)).toEqual([{ record: ['p1'], line: 4 }]);
    expect(refusal('\n\nname\np1\n').details[0]).toEqual({ line: 3, message: 'expected "id", got "name"' });
  });

  it('refuses a file of nothing but white space that latin1 does not see as blank', () => {
    expect(refusal('\u00a0\n\u3000\n').code).toBe('empty_file');
  });
});
