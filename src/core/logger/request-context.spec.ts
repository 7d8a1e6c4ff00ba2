import { Writable } from 'node:stream';
import { createLogger } from './logger.js';
import { acceptRequestId, currentRequestId, runWithRequestId } from './request-context.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids', () => {
  it.each(['abc', 'req-42', 'A.b_c-9', '3f1c0000-0000-4000-8000-000000000000', 'x'.repeat(128)])('keeps the client’s sane id %s', (id) => {
    expect(acceptRequestId(id)).toBe(id);
  });

  it.each([
    ['none', undefined],
    ['an empty one', ''],
    ['one too long', 'x'.repeat(129)],
    ['one with a space', 'a b'],
    ['one that would forge a log field', 'x","level":60'],
    ['one with a line break', 'a\nb'],
    ['one with a slash', '../etc'],
    ['one with non-ASCII letters', 'réq'],
  ])('makes a fresh one for %s', (_what, header) => {
    expect(acceptRequestId(header)).toMatch(UUID);
  });

  it('takes the first of repeated headers, if sane', () => {
    expect(acceptRequestId(['first', 'second'])).toBe('first');
    expect(acceptRequestId(['bad id', 'second'])).toMatch(UUID);
  });

  it('is the current one through awaits inside the request, and none outside', async () => {
    expect(currentRequestId()).toBeUndefined();
    const seen = await runWithRequestId('req-1', async () => {
      await new Promise((r) => setTimeout(r, 1));
      return currentRequestId();
    });
    expect(seen).toBe('req-1');
    expect(currentRequestId()).toBeUndefined();
  });

  it('stamps every log line written for the request, child loggers included', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const logger = createLogger('info', 'spec', sink);
    logger.info('before');
    await runWithRequestId('req-7', async () => {
      await Promise.resolve();
      logger.child({ submissionId: 's1' }).info('inside');
    });
    logger.info('after');
    expect(lines.map((l) => [l.msg, l.requestId])).toEqual([
      ['before', undefined],
      ['inside', 'req-7'],
      ['after', undefined],
    ]);
    expect(lines[1]).toMatchObject({ submissionId: 's1', service: 'spec' });
  });
});
