import { AppError } from '../../core/errors/app-error.js';
import { validateCleaningOrder } from './cleaning.protocol.js';
import type { PoolIndex } from './selection.protocol.js';

const pool: PoolIndex = {
  rowById: new Map([['a', 0], ['b', 1], ['c', 2]]),
  labels: Int32Array.from([0, 1, 0]),
  labeled: true,
};

function reject(text: string): AppError {
  try {
    validateCleaningOrder(Buffer.from(text), pool, 1024);
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('validateCleaningOrder', () => {
  it('accepts every id exactly once and keeps the order', () => {
    expect(Array.from(validateCleaningOrder(Buffer.from('id\nc\na\nb\n'), pool, 1024).order)).toEqual([2, 0, 1]);
  });

  it.each<[string, string, number, string, RegExp]>([
    ['a missing id', 'id\nc\na\n', 422, 'invalid_order', /1 of the 3 pool ids are missing \(e\.g\. "b"\)/],
    ['a duplicate', 'id\nc\na\nc\nb\n', 422, 'invalid_order', /line 4: duplicate id "c" \(first on line 2\)/],
    ['an unknown id', 'id\nc\na\nb\nz\n', 422, 'invalid_order', /line 5: id "z" is not in the pool/],
    ['a second column', 'id\nc,1\na\nb\n', 422, 'invalid_order', /line 2: expected 1 column/],
    ['a wrong header', 'ids\nc\na\nb\n', 400, 'invalid_header', /expected the header "id"/],
    ['an empty file', '', 400, 'empty_file', /each of the 3 pool ids exactly once/],
  ])('rejects %s', (_name, text, status, code, message) => {
    const e = reject(text);
    expect([e.status, e.code]).toEqual([status, code]);
    expect(e.message).toMatch(message);
  });
});
