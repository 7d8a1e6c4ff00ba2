import {
  assertValidKey,
  assertValidPrefix,
  InvalidStorageKeyError,
  MAX_KEY_LENGTH,
  StorageNotFoundError,
} from './storage.port.js';

describe('assertValidKey', () => {
  it.each([
    ['a'],
    ['labels.csv'],
    ['submissions/42/labels.csv'],
    ['challenges/spam-v1/data/train_0001.parquet'],
    ['.hidden'],
    ['a/..b/c..'],
    ['A-Z_a-z.0-9'],
    ['x'.repeat(MAX_KEY_LENGTH)],
  ])('accepts %j', (key) => {
    expect(() => assertValidKey(key)).not.toThrow();
  });

  it.each([
    ['', /empty/],
    ['x'.repeat(MAX_KEY_LENGTH + 1), /longer than 512/],
    ['/abs', /leading/],
    ['/', /leading/],
    ['../x', /"\.\." path segment/],
    ['a/../b', /"\.\." path segment/],
    ['a/..', /"\.\." path segment/],
    ['..', /"\.\." path segment/],
    ['./a', /"\." path segment/],
    ['a/./b', /"\." path segment/],
    ['a//b', /empty path segment/],
    ['a/', /empty path segment/],
    ['café.csv', /only A-Z/],
    ['日本', /only A-Z/],
    ['a b', /only A-Z/],
    ['a\\b', /only A-Z/],
    ['a\0b', /only A-Z/],
    ['a\nb', /only A-Z/],
    ['C:x', /only A-Z/],
    ['%2e%2e/x', /only A-Z/],
    ['~tmp', /only A-Z/],
  ])('refuses %j', (key, reason) => {
    expect(() => assertValidKey(key)).toThrow(InvalidStorageKeyError);
    expect(() => assertValidKey(key)).toThrow(reason);
  });

  it('names the key in the error', () => {
    expect(() => assertValidKey('a//b')).toThrow(expect.objectContaining({ key: 'a//b' }));
  });
});

describe('assertValidPrefix', () => {
  it.each([[''], ['a'], ['a/'], ['submissions/4'], ['submissions/42/']])('accepts %j', (prefix) => {
    expect(() => assertValidPrefix(prefix)).not.toThrow();
  });

  it.each([['/'], ['//'], ['../'], ['a//'], ['/a/'], ['a/../']])('refuses %j', (prefix) => {
    expect(() => assertValidPrefix(prefix)).toThrow(InvalidStorageKeyError);
  });
});

describe('StorageNotFoundError', () => {
  it('carries the key and its cause', () => {
    const cause = new Error('ENOENT');
    const err = new StorageNotFoundError('a/b.csv', { cause });

    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('StorageNotFoundError');
    expect(err.key).toBe('a/b.csv');
    expect(err.message).toContain('a/b.csv');
    expect(err.cause).toBe(cause);
  });
});
