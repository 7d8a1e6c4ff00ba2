import { EventEmitter } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { CliError } from './api-client.js';
import { checkToken, confirm, promptHidden, readTokenFrom, type TtyInput } from './prompt.js';

/** A terminal's input: raw mode recorded, data pushed by the test. */
class FakeTty extends EventEmitter implements TtyInput {
  isTTY = true;
  raw: boolean[] = [];
  setRawMode(mode: boolean) {
    this.raw.push(mode);
  }
  setEncoding() {}
  resume() {}
  pause() {}
  type(text: string) {
    this.emit('data', text);
  }
}

function output(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

describe('promptHidden', () => {
  it('reads a line in raw mode without echoing it, with backspace', async () => {
    const tty = new FakeTty();
    const out = output();
    const answer = promptHidden('Token: ', tty, out.stream);
    tty.type('sieve_abx');
    tty.type('\u007fc\r');
    expect(await answer).toBe('sieve_abc');
    expect(tty.raw).toEqual([true, false]);
    await new Promise((r) => setImmediate(r));
    expect(out.text()).toBe('Token: \n');
  });

  it('cancels on Ctrl-C with exit code 130', async () => {
    const tty = new FakeTty();
    const answer = promptHidden('Token: ', tty, output().stream);
    tty.type('sie\u0003');
    await expect(answer).rejects.toMatchObject({ exitCode: 130 });
    expect(tty.raw).toEqual([true, false]);
  });
});

describe('reading a token', () => {
  it('takes a piped token without its newline', async () => {
    expect(await readTokenFrom(Readable.from([Buffer.from('  sieve_abc\n')]))).toBe('sieve_abc');
  });

  it.each([
    ['', 'no token was given on stdin'],
    ['two words\n', 'is not one token'],
    ['a\nb\n', 'is not one token'],
  ])('refuses %j', async (text, message) => {
    const e: unknown = await readTokenFrom(Readable.from([Buffer.from(text)])).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).message).toContain(message);
  });

  it('checks a token given with --token', () => {
    expect(checkToken(' t0k ', '--token')).toBe('t0k');
    expect(() => checkToken('', '--token')).toThrow('no token was given on --token');
  });
});

describe('confirm', () => {
  it.each([
    ['y\n', true],
    ['Yes\n', true],
    ['n\n', false],
    ['\n', false],
    ['', false],
    ['yep\n', false],
  ])('%j -> %s', async (answer, expected) => {
    expect(await confirm('Join? [y/N] ', Readable.from([answer]), output().stream)).toBe(expected);
  });
});
