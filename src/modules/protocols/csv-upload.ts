import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { AppError, type ErrorDetail } from '../../core/errors/app-error.js';

export const MAX_LINE_CHARS = 1024;
const MAX_DETAILS = 50;

export interface CsvUploadRules {
  maxFileBytes: number;
  /** The exact header expected on the first non-blank line. */
  header: string[];
  /** What a valid file looks like, for messages: "a CSV with the header ...". */
  format: string;
  /** Said after a wrong header, e.g. why there is no label column. */
  headerHint?: string;
  /** Accept a gzip-compressed file that inflates to at most this many bytes (otherwise gzip is refused). */
  maxInflatedBytes?: number;
  /** The longest line accepted (default MAX_LINE_CHARS). */
  maxLineChars?: number;
}

export interface CsvRecord {
  record: string[];
  /** 1-based line number of the record's last line. */
  line: number;
}

/**
 * The checks every CSV submission goes through, in order: size cap (413), empty, gzip,
 * binary, UTF-8, line length, header, CSV syntax (400). Returns the data records (without
 * the header) with their line numbers.
 */
export function readCsvUpload(upload: Buffer, rules: CsvUploadRules): CsvRecord[] {
  const { format } = rules;
  const maxLine = rules.maxLineChars ?? MAX_LINE_CHARS;
  let bytes = upload;
  if (bytes.length > rules.maxFileBytes) {
    throw AppError.tooLarge(`The file is ${bytes.length} bytes; this challenge accepts at most ${rules.maxFileBytes} bytes`);
  }
  if (bytes.length === 0 || bytes.toString('latin1').trim() === '') {
    throw AppError.badRequest('empty_file', `The file is empty; expected ${format}`);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    if (rules.maxInflatedBytes === undefined) {
      throw AppError.badRequest('not_text', `The file is gzip-compressed; upload it uncompressed, as ${format}`);
    }
    bytes = gunzipCapped(bytes, rules.maxInflatedBytes);
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw AppError.badRequest('not_text', `The file is not text: line ${lineAt(bytes, nul)} contains a NUL byte; expected ${format}`, [
      { line: lineAt(bytes, nul), message: `NUL byte at byte offset ${nul}` },
    ]);
  }
  const text = decodeUtf8(bytes);
  const long = firstLongLine(text, maxLine);
  if (long) {
    throw AppError.badRequest('line_too_long', `Line ${long.line} is ${long.length} characters long; at most ${maxLine} are allowed`, [
      { line: long.line, message: `${long.length} characters (limit ${maxLine})` },
    ]);
  }

  const expected = rules.header;
  const headerText = firstNonBlankLine(text);
  if (!headerText) throw AppError.badRequest('empty_file', `The file is empty; expected ${format}`);
  const header = parseHeader(headerText.text);
  if (!header || header.length !== expected.length || header.some((h, i) => h !== expected[i])) {
    const got = headerText.text.replace(/^\uFEFF/, '').slice(0, 80);
    throw AppError.badRequest('invalid_header', `Line ${headerText.line}: expected the header "${expected.join(',')}"${rules.headerHint ?? ''}, got "${got}"`, [
      { line: headerText.line, message: `expected "${expected.join(',')}", got "${got}"` },
    ]);
  }
  return isPlainCsv(text) ? plainCsvRecords(text).slice(1) : parsedCsvRecords(text).slice(1);
}

/**
 * The first line (split at "\n" or "\r\n", numbered from 1) longer than `max`
 * characters, without cutting the text into lines.
 */
function firstLongLine(text: string, max: number): { line: number; length: number } | undefined {
  let start = 0;
  for (let line = 1; start <= text.length; line++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const length = end - start - (end > start && text.charCodeAt(end - 1) === 0x0d && end < text.length ? 1 : 0);
    if (length > max) return { line, length };
    start = end + 1;
  }
  return undefined;
}

function firstNonBlankLine(text: string): { text: string; line: number } | undefined {
  let start = 0;
  for (let line = 1; start <= text.length; line++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const content = text.slice(start, end).replace(/\r$/, '');
    if (content.trim() !== '') return { text: content, line };
    start = end + 1;
  }
  return undefined;
}

/**
 * Whether `text` can be read without a CSV parser: no quote character (so no quoted
 * field, escaped quote or line break inside a field) and no carriage return outside a
 * "\r\n" (which csv-parse counts as a line break but not as a record's end).
 */
export function isPlainCsv(text: string): boolean {
  return !text.includes('"') && !(text.includes('\r') && /\r(?!\n)/.test(text));
}

/**
 * Every record of a plain CSV text (see isPlainCsv), header included, exactly as
 * parsedCsvRecords reads it: records end at "\n" or "\r\n", fields are split at commas
 * and trimmed (csv-parse's `trim` trims what String.prototype.trim does), and a line of
 * nothing but whitespace is skipped. One pass, linear in the text: the general parser
 * costs about five times as much, most of it in the line numbers it keeps.
 */
export function plainCsvRecords(text: string): CsvRecord[] {
  const out: CsvRecord[] = [];
  let start = 0;
  for (let line = 1; start < text.length; line++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const content = text.charCodeAt(end - 1) === 0x0d && end > start ? text.slice(start, end - 1) : text.slice(start, end);
    start = end + 1;
    if (!content.includes(',')) {
      const field = content.trim();
      if (field !== '') out.push({ record: [field], line });
      continue;
    }
    const record = content.split(',');
    for (let i = 0; i < record.length; i++) record[i] = record[i].trim();
    out.push({ record, line });
  }
  return out;
}

/** Every record of any CSV text, header included, with csv-parse; throws a 400 invalid_csv on broken quoting. */
export function parsedCsvRecords(text: string): CsvRecord[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, info: true, skip_empty_lines: true, trim: true, relax_column_count: true, record_delimiter: ['\r\n', '\n'] }) as unknown as typeof records;
  } catch (e) {
    const err = e as { lines?: number; message: string };
    throw AppError.badRequest('invalid_csv', `The file is not valid CSV: ${err.message}`, [{ line: err.lines, message: err.message }]);
  }
  return records.map(({ record, info }) => ({ record, line: info.lines }));
}

/** Inflates a gzip upload, refusing (413) one that would inflate past `max` bytes: a gzip bomb stops there. */
function gunzipCapped(bytes: Buffer, max: number): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: max });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw AppError.tooLarge(`The gzip-compressed file inflates to more than ${max} bytes, the most this challenge accepts`);
    }
    throw AppError.badRequest('invalid_gzip', `The file looks gzip-compressed but cannot be inflated (${err.message}); upload it uncompressed or re-compress it`);
  }
}

export function truncate(s: string): string {
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}

function parseHeader(line: string): string[] | null {
  try {
    const [record] = parse(line, { bom: true, trim: true }) as string[][];
    return record ?? null;
  } catch {
    return null;
  }
}

function decodeUtf8(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    let start = 0;
    let line = 1;
    const decoder = new TextDecoder('utf-8', { fatal: true });
    while (start <= bytes.length) {
      let end = bytes.indexOf(0x0a, start);
      if (end < 0) end = bytes.length;
      try {
        decoder.decode(bytes.subarray(start, end));
      } catch {
        throw AppError.badRequest('invalid_encoding', `The file is not valid UTF-8: line ${line} has an invalid byte sequence; save it as UTF-8`, [
          { line, message: 'invalid UTF-8 byte sequence' },
        ]);
      }
      start = end + 1;
      line++;
    }
    throw AppError.badRequest('invalid_encoding', 'The file is not valid UTF-8; save it as UTF-8');
  }
}

function lineAt(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/**
 * A 422 listing every problem (at most 50, then a count of the rest), its message naming
 * the first; nothing when there are none.
 */
export function throwProblems(code: string, what: string, problems: ErrorDetail[]): void {
  if (problems.length === 0) return;
  const shown = problems.slice(0, MAX_DETAILS);
  if (problems.length > MAX_DETAILS) shown.push({ message: `... and ${problems.length - MAX_DETAILS} more problems` });
  const first = problems[0];
  const where = first.line ? `line ${first.line}: ` : '';
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more; see details)` : '';
  throw AppError.unprocessable(code, `${what}: ${where}${first.message}${more}`, shown);
}

/**
 * The pool row of `id` on `line`, or undefined after recording why not (empty, not in the
 * pool, or already listed). `firstLine` holds, for each pool row, the line that listed it
 * (0: none yet): a typed array rather than a map of ids, so a million-id file costs one
 * hash lookup per line.
 */
export function poolRow(id: string, line: number, rowById: ReadonlyMap<string, number>, firstLine: Int32Array, problems: ErrorDetail[]): number | undefined {
  const row = rowById.get(id);
  if (row === undefined) {
    problems.push({ line, message: id === '' ? 'empty id' : `id "${truncate(id)}" is not in the pool` });
    return undefined;
  }
  const first = firstLine[row];
  if (first !== 0) {
    problems.push({ line, message: `duplicate id "${truncate(id)}" (first on line ${first})` });
    return undefined;
  }
  firstLine[row] = line;
  return row;
}
