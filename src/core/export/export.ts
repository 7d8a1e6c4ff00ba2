import type { Response } from 'express';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { parseInput } from '../validation/parse-input.js';

export const ExportQuery = z.strictObject({ format: z.enum(['json', 'csv']).default('json') });
export type ExportFormat = z.infer<typeof ExportQuery>['format'];

/** `?format=json|csv` of an export route. */
export function exportFormat(query: unknown): ExportFormat {
  return parseInput(ExportQuery, query, 'query').format;
}

/**
 * A text cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a
 * leading apostrophe, the OWASP rule against CSV injection; numbers stay numbers.
 */
export function safeCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** Rows as CSV with a header, every cell through {@link safeCell}. */
export function toCsv<T extends object>(rows: T[], columns: (keyof T & string)[]): string {
  return stringify(
    rows.map((r) => columns.map((c) => safeCell(r[c]))),
    { header: true, columns },
  );
}

/** Sends rows as a JSON array or a CSV attachment. */
export function sendExport<T extends object>(res: Response, format: ExportFormat, filename: string, rows: T[], columns: (keyof T & string)[]): void {
  if (format === 'csv') {
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${filename}.csv"`);
    res.send(toCsv(rows, columns));
    return;
  }
  res.setHeader('Content-Disposition', `attachment; filename="${filename}.json"`);
  res.json(rows);
}
