import { parse } from 'csv-parse/sync';
import { AppError, type ErrorDetail } from '../../core/errors/app-error.js';
import type { PublicData, SubmissionValidator } from './protocol.js';

/** What validation needs to know about the pool: which ids exist and their labels. */
export interface PoolIndex {
  rowById: ReadonlyMap<string, number>;
  labels: Int32Array;
  labeled: boolean;
}

export interface SelectionRules {
  labels: readonly string[];
  maxItems: number;
  maxFileBytes: number;
}

/** A valid selection: pool rows and the label to train each one with. */
export interface Selection {
  rows: Int32Array;
  labels: Int32Array;
}

export const MAX_LINE_CHARS = 1024;

/** selection: a CSV of pool ids (with labels when the pool is unlabeled), at most budget.maxItems. */
export const selectionProtocol: SubmissionValidator<Selection> = {
  protocol: 'selection',
  validate(file: Buffer, { spec, pool }: PublicData): Selection {
    return validateSelection(file, pool.index, {
      labels: spec.data.labels,
      maxItems: spec.budget.maxItems,
      maxFileBytes: spec.limits.maxFileBytes,
    });
  },
  itemCount: (selection) => selection.rows.length,
};
const MAX_DETAILS = 50;

/**
 * Validates a selection file completely, before anything is stored or queued.
 * Throws an AppError (400 malformed, 413 too large, 422 invalid) whose details name each line.
 */
export function validateSelection(bytes: Buffer, pool: PoolIndex, rules: SelectionRules): Selection {
  const expectedHeader = pool.labeled ? ['id'] : ['id', 'label'];
  const format = `a CSV with the header "${expectedHeader.join(',')}" and one pool id${pool.labeled ? '' : ' and its label'} per line`;

  if (bytes.length > rules.maxFileBytes) {
    throw AppError.tooLarge(`The file is ${bytes.length} bytes; this challenge accepts at most ${rules.maxFileBytes} bytes`);
  }
  if (bytes.length === 0 || bytes.toString('latin1').trim() === '') {
    throw AppError.badRequest('empty_file', `The file is empty; expected ${format}`);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw AppError.badRequest('not_text', `The file is gzip-compressed; upload it uncompressed, as ${format}`);
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw AppError.badRequest('not_text', `The file is not text: line ${lineAt(bytes, nul)} contains a NUL byte; expected ${format}`, [
      { line: lineAt(bytes, nul), message: `NUL byte at byte offset ${nul}` },
    ]);
  }
  const text = decodeUtf8(bytes);
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].length > MAX_LINE_CHARS) {
      throw AppError.badRequest('line_too_long', `Line ${i + 1} is ${lines[i].length} characters long; at most ${MAX_LINE_CHARS} are allowed`, [
        { line: i + 1, message: `${lines[i].length} characters (limit ${MAX_LINE_CHARS})` },
      ]);
    }
  }

  const headerLine = lines.findIndex((l) => l.trim() !== '');
  const header = parseHeader(lines[headerLine]);
  if (!header || header.length !== expectedHeader.length || header.some((h, i) => h !== expectedHeader[i])) {
    const got = lines[headerLine].replace(/^\uFEFF/, '').slice(0, 80);
    const hint = pool.labeled ? ' (the pool is labeled, so no label column)' : ' (the pool is unlabeled, so give a label for each id)';
    throw AppError.badRequest('invalid_header', `Line ${headerLine + 1}: expected the header "${expectedHeader.join(',')}"${hint}, got "${got}"`, [
      { line: headerLine + 1, message: `expected "${expectedHeader.join(',')}", got "${got}"` },
    ]);
  }

  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, info: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as unknown as typeof records;
  } catch (e) {
    const err = e as { lines?: number; message: string };
    throw AppError.badRequest('invalid_csv', `The file is not valid CSV: ${err.message}`, [
      { line: err.lines, message: err.message },
    ]);
  }

  const problems: ErrorDetail[] = [];
  const firstLine = new Map<string, number>();
  const labelIndex = new Map(rules.labels.map((l, i) => [l, i]));
  const rows: number[] = [];
  const labels: number[] = [];
  for (const { record, info } of records.slice(1)) {
    const line = info.lines;
    if (record.length !== expectedHeader.length) {
      problems.push({ line, message: `expected ${expectedHeader.length} column(s) (${expectedHeader.join(',')}), got ${record.length}` });
      continue;
    }
    const id = record[0];
    const row = pool.rowById.get(id);
    if (id === '') {
      problems.push({ line, message: 'empty id' });
      continue;
    }
    if (row === undefined) {
      problems.push({ line, message: `id "${truncate(id)}" is not in the pool` });
      continue;
    }
    const seenOn = firstLine.get(id);
    if (seenOn !== undefined) {
      problems.push({ line, message: `duplicate id "${truncate(id)}" (first on line ${seenOn})` });
      continue;
    }
    firstLine.set(id, line);
    let label = pool.labels[row];
    if (!pool.labeled) {
      const given = labelIndex.get(record[1]);
      if (given === undefined) {
        problems.push({ line, message: `label "${truncate(record[1])}" is not one of ${rules.labels.join(', ')}` });
        continue;
      }
      label = given;
    }
    rows.push(row);
    labels.push(label);
  }

  const count = records.length - 1;
  if (count > rules.maxItems) {
    problems.unshift({ message: `the selection has ${count} ids; the budget allows at most ${rules.maxItems}` });
  }
  if (count === 0) {
    problems.push({ message: `the file has a header but no ids; expected ${format}` });
  }
  if (problems.length === 0 && new Set(labels).size < 2) {
    const only = labels.length ? ` (only "${rules.labels[labels[0]]}")` : '';
    problems.push({ message: `the selection covers fewer than 2 classes${only}; the model needs examples of at least 2` });
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_DETAILS);
    if (problems.length > MAX_DETAILS) shown.push({ message: `... and ${problems.length - MAX_DETAILS} more problems` });
    const first = problems[0];
    const where = first.line ? `line ${first.line}: ` : '';
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more; see details)` : '';
    throw AppError.unprocessable('invalid_selection', `The selection is not valid: ${where}${first.message}${more}`, shown);
  }
  return { rows: Int32Array.from(rows), labels: Int32Array.from(labels) };
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

function truncate(s: string): string {
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}
