import { type ServerSentEvent, serverSentEvents } from './sse.js';

async function collect(parts: string[]): Promise<ServerSentEvent[]> {
  async function* chunks() {
    for (const p of parts) yield new TextEncoder().encode(p);
  }
  const out: ServerSentEvent[] = [];
  for await (const e of serverSentEvents(chunks())) out.push(e);
  return out;
}

describe('serverSentEvents', () => {
  it('reads named events, joining data lines, whatever the chunks', async () => {
    const stream = 'event: status\ndata: {"status":"queued"}\n\nevent: progress\ndata: {"a":1}\ndata: {"b":2}\n\n';
    const expected = [
      { event: 'status', data: '{"status":"queued"}' },
      { event: 'progress', data: '{"a":1}\n{"b":2}' },
    ];
    expect(await collect([stream])).toEqual(expected);
    expect(await collect(stream.split(''))).toEqual(expected);
  });

  it('skips comments and unknown fields, names unnamed events "message", and takes CRLF', async () => {
    expect(await collect([': ping\r\n\r\nid: 4\r\nretry: 10\r\ndata: x\r\n\r\n'])).toEqual([{ event: 'message', data: 'x' }]);
  });

  it('drops a frame that the stream cut short', async () => {
    expect(await collect(['event: status\ndata: {"status":"running"}\n\nevent: status\ndata: {"sta'])).toEqual([{ event: 'status', data: '{"status":"running"}' }]);
  });
});
