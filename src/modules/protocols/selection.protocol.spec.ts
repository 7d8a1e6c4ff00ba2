import { AppError } from '../../core/errors/app-error.js';
import { type PoolIndex, validateSelection } from './selection.protocol.js';

const labels = ['cat', 'dog', 'eel'];
const labeledPool: PoolIndex = {
  rowById: new Map([['p1', 0], ['p2', 1], ['p3', 2], ['p4', 3]]),
  labels: Int32Array.from([0, 1, 1, 2]),
  labeled: true,
};
const unlabeledPool: PoolIndex = { ...labeledPool, labels: Int32Array.from([-1, -1, -1, -1]), labeled: false };
const rules = { labels, maxItems: 3, maxFileBytes: 4096 };

function reject(text: string | Buffer, pool = labeledPool): AppError {
  try {
    validateSelection(typeof text === 'string' ? Buffer.from(text) : text, pool, rules);
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('validateSelection', () => {
  it('accepts ids from a labeled pool and takes their labels from the pool', () => {
    const s = validateSelection(Buffer.from('id\np2\np1\r\n\np4\n'), labeledPool, rules);
    expect(Array.from(s.rows)).toEqual([1, 0, 3]);
    expect(Array.from(s.labels)).toEqual([1, 0, 2]);
  });

  it('accepts a BOM and quoted ids', () => {
    const s = validateSelection(Buffer.from('\uFEFFid\n"p1"\np3\n'), labeledPool, rules);
    expect(Array.from(s.rows)).toEqual([0, 2]);
  });

  it('takes labels from the file when the pool is unlabeled', () => {
    const s = validateSelection(Buffer.from('id,label\np1,eel\np2,cat\n'), unlabeledPool, rules);
    expect(Array.from(s.labels)).toEqual([2, 0]);
  });

  it.each<[string, string | Buffer, number, string, number | undefined]>([
    ['an empty file', '', 400, 'empty_file', undefined],
    ['only whitespace', ' \n\n', 400, 'empty_file', undefined],
    ['binary garbage', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0xff]), 400, 'not_text', 1],
    ['gzip', Buffer.from([0x1f, 0x8b, 0x08, 0x00]), 400, 'not_text', undefined],
    ['invalid UTF-8', Buffer.concat([Buffer.from('id\np1\n'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]), 400, 'invalid_encoding', 3],
    ['a wrong header', 'ids\np1\n', 400, 'invalid_header', 1],
    ['a JSON file', '{\n  "name": "a:b"\n}\n', 400, 'invalid_header', 1],
    ['a label column on a labeled pool', 'id,label\np1,cat\n', 400, 'invalid_header', 1],
    ['a very long line', `id\n${'x'.repeat(2000)}\n`, 400, 'line_too_long', 2],
    ['an unterminated quote', 'id\n"p1\n', 400, 'invalid_csv', undefined],
    ['an unknown id', 'id\np1\nnope\n', 422, 'invalid_selection', 3],
    ['a duplicate id', 'id\np1\np2\np1\n', 422, 'invalid_selection', 4],
    ['an extra column', 'id\np1,x\np2\n', 422, 'invalid_selection', 2],
    ['a header and no ids', 'id\n', 422, 'invalid_selection', undefined],
    ['a single class', 'id\np2\np3\n', 422, 'invalid_selection', undefined],
  ])('rejects %s', (_name, text, status, code, line) => {
    const e = reject(text);
    expect(e.status).toBe(status);
    expect(e.code).toBe(code);
    if (line !== undefined) expect(e.details[0].line).toBe(line);
    expect(e.message.length).toBeGreaterThan(20);
  });

  it('rejects a selection over the budget, saying the count and the limit', () => {
    const e = reject('id\np1\np2\np3\np4\n');
    expect(e.status).toBe(422);
    expect(e.message).toContain('the selection has 4 ids; the budget allows at most 3');
  });

  it('rejects a bad label on an unlabeled pool with its line', () => {
    const e = reject('id,label\np1,cat\np2,cow\n', unlabeledPool);
    expect(e.status).toBe(422);
    expect(e.details).toEqual([{ line: 3, message: 'label "cow" is not one of cat, dog, eel' }]);
  });

  it('rejects a file over the size cap with 413', () => {
    const e = reject(`id\n${'p1\n'.repeat(2000)}`);
    expect(e.status).toBe(413);
  });

  it('lists every problem, at most 50, with a count of the rest', () => {
    const many = { ...rules, maxItems: 1000, maxFileBytes: 1 << 20 };
    const text = `id\n${Array.from({ length: 120 }, (_, i) => `u${i}`).join('\n')}\n`;
    let error: AppError | undefined;
    try {
      validateSelection(Buffer.from(text), labeledPool, many);
    } catch (e) {
      error = e as AppError;
    }
    expect(error?.details).toHaveLength(51);
    expect(error?.details[50].message).toBe('... and 70 more problems');
  });
});
