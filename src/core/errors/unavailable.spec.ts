import { QueryFailedError } from 'typeorm';
import { unavailableOf } from './unavailable.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
const query = (driver: Error) => new QueryFailedError('SELECT 1', [], driver);
const s3 = (message: string, httpStatusCode?: number, code?: string) => Object.assign(new Error(message), { $metadata: { httpStatusCode }, ...(code ? { code } : {}) });

describe('unavailableOf', () => {
  it.each<[string, unknown, string | null]>([
    ['a refused database connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), 'database_unavailable'],
    ['a database that takes no connections (55000)', query(withCode('database "x" is not currently accepting connections', '55000')), 'database_unavailable'],
    ['an administrator shutdown (57P01)', query(withCode('terminating connection due to administrator command', '57P01')), 'database_unavailable'],
    ['a connection exception (08006)', query(withCode('connection failure', '08006')), 'database_unavailable'],
    ['a connection that broke', new Error('Connection terminated unexpectedly'), 'database_unavailable'],
    ['a pool that could not connect in time', new Error('timeout exceeded when trying to connect'), 'database_unavailable'],
    ['storage refusing connections', s3('connect ECONNREFUSED', undefined, 'ECONNREFUSED'), 'storage_unavailable'],
    ['storage answering 503', s3('Slow Down', 503), 'storage_unavailable'],
    ['storage answering 404 (ours to handle)', s3('NoSuchKey', 404), null],
    ['a unique violation (a bug or a race, not an outage)', query(withCode('duplicate key', '23505')), null],
    ['a syntax error', query(withCode('syntax error', '42601')), null],
    ['a plain bug', new TypeError('x is undefined'), null],
    ['not an error at all', 'oops', null],
  ])('%s → %s', (_what, error, code) => {
    const found = unavailableOf(error);
    expect(found?.code ?? null).toBe(code);
    if (found) expect(found.status).toBe(503);
  });
});
