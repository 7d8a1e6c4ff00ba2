import { createInterface } from 'node:readline/promises';
import { CliError } from './api-client.js';

/** What the prompts need of a terminal's input: process.stdin on a TTY, or a test double. */
export interface TtyInput {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  setEncoding(encoding: BufferEncoding): unknown;
  on(event: 'data', listener: (chunk: string) => void): unknown;
  off(event: 'data', listener: (chunk: string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const BACKSPACE = ['\u007f', '\b'];

/**
 * Asks for a secret on a terminal without echoing it: the terminal is put in raw mode and
 * the characters are collected here, so nothing typed or pasted is shown. Enter ends it,
 * Ctrl-C cancels (exit code 130, as a shell would), backspace removes the last character.
 */
export function promptHidden(question: string, input: TtyInput = process.stdin, output: NodeJS.WritableStream = process.stderr): Promise<string> {
  if (!input.isTTY || !input.setRawMode) throw new Error('promptHidden needs a terminal');
  const setRawMode = input.setRawMode.bind(input);
  output.write(question);
  setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolvePrompt, reject) => {
    let value = '';
    const finish = () => {
      input.off('data', onData);
      setRawMode(false);
      input.pause();
      output.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === CTRL_D) {
          finish();
          resolvePrompt(value);
          return;
        }
        if (ch === CTRL_C) {
          finish();
          reject(new CliError('cancelled', 130));
          return;
        }
        if (BACKSPACE.includes(ch)) value = value.slice(0, -1);
        else value += ch;
      }
    };
    input.on('data', onData);
  });
}

/** Reads a token piped on stdin (`pass show sieve | sieve login`): one line, surrounding blanks dropped. */
export async function readTokenFrom(input: AsyncIterable<Buffer | string>): Promise<string> {
  let text = '';
  for await (const chunk of input) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text.length > 64 * 1024) throw new CliError('stdin holds more than a token; pipe only the token (one line)');
  }
  return checkToken(text, 'stdin');
}

/** A token as typed or piped: one word of printable characters. */
export function checkToken(raw: string, from: string): string {
  const token = raw.trim();
  if (token === '') throw new CliError(`no token was given on ${from}; pass --token, pipe it on stdin, or run "sieve login" in a terminal to be asked for it`);
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(token)) throw new CliError(`what was given on ${from} is not one token (it has blanks or control characters); give only the token`);
  return token;
}

/** A y/N question on the terminal; anything but y or yes is no. */
export async function confirm(question: string, input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stderr): Promise<boolean> {
  const rl = createInterface({ input, output, terminal: false });
  try {
    output.write(question);
    const answer = await new Promise<string>((resolveAnswer) => {
      rl.once('line', resolveAnswer);
      rl.once('close', () => resolveAnswer(''));
    });
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}
