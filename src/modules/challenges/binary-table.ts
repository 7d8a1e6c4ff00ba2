import { endianness } from 'node:os';
import { z } from 'zod';

/**
 * The Sieve binary table (`.sbt`): a data file whose features are raw little-endian
 * floats, for pools too large for CSV (1,000,000 × 256 float32 is 1 GiB of features and
 * about 2.5 GB of CSV). Loading one copies nothing: the features are a typed-array view
 * of the file's bytes. The layout (docs/challenge-format.md, "Binary tables"):
 *
 *   bytes 0-7    "SIEVETBL"
 *   bytes 8-11   H, uint32: the length of the header
 *   12 … 12+H    the header: a UTF-8 JSON object, padded with spaces so that 12 + H is
 *                a multiple of 64 (the features start aligned)
 *   features     rows × features.length values of `dtype`, row-major
 *   labels       only when the header lists `labels`: rows int32, each an index into them
 *   ids          rows UTF-8 ids, each followed by "\n"; the file ends after the last one
 *
 * Every number is little-endian.
 */

export const BINARY_TABLE_MAGIC = Buffer.from('SIEVETBL', 'latin1');
export const BINARY_TABLE_EXTENSION = '.sbt';
/** How the API serves a public binary table (a pool too large for CSV). */
export const BINARY_TABLE_CONTENT_TYPE = 'application/vnd.sieve.table';
/** The features start at a multiple of this many bytes. */
export const BINARY_TABLE_ALIGN = 64;
const PREAMBLE = BINARY_TABLE_MAGIC.length + 4;
/** A header longer than this is refused before it is read (64 MiB: a million feature names). */
const MAX_HEADER_BYTES = 64 * 1024 * 1024;

const Name = z.string().min(1).max(256);
const unique = (names: string[]) => new Set(names).size === names.length;

export const BinaryTableHeader = z.strictObject({
  format: z.literal('sieve-table'),
  version: z.literal(1),
  rows: z.number().int().nonnegative(),
  dtype: z.enum(['float32', 'float64']),
  /** The feature columns' names, in order. */
  features: z
    .array(Name.refine((n) => n !== 'id' && n !== 'label', '"id" and "label" are not feature names'))
    .min(1)
    .refine(unique, 'feature names must be unique'),
  /** The label names the labels section's indices refer to; absent: an unlabeled table. */
  labels: z
    .array(Name)
    .min(1)
    .refine(unique, 'labels must be unique')
    .optional(),
});
export type BinaryTableHeader = z.infer<typeof BinaryTableHeader>;

/** What a binary table holds, decoded; `labels` are indices into `header.labels` (-1 when unlabeled). */
export interface BinaryTable {
  header: BinaryTableHeader;
  ids: string[];
  /** Each id's row, built while checking that they are unique. */
  rowById: Map<string, number>;
  /** Indices into header.labels, a view of the file's bytes (absent when unlabeled). */
  labelIndices?: Int32Array;
  /** rows × features values, row-major: a view of the file's bytes (a copy only when they are misaligned in memory). */
  values: Float32Array | Float64Array;
}

/** A problem with a binary table; `row` is 0-based, for the caller to name. */
export class BinaryTableError extends Error {
  constructor(
    message: string,
    readonly row?: number,
  ) {
    super(message);
    this.name = 'BinaryTableError';
  }
}

export function isBinaryTable(bytes: Uint8Array): boolean {
  return bytes.length >= BINARY_TABLE_MAGIC.length && BINARY_TABLE_MAGIC.equals(bytes.subarray(0, BINARY_TABLE_MAGIC.length));
}

const BYTES_PER_VALUE = { float32: 4, float64: 8 } as const;

/**
 * Decodes and checks a binary table: the header against its schema, the sizes of the
 * sections against the file's length, every feature finite, every label index in range,
 * every id non-empty, unique, without surrounding white space or control characters. Throws BinaryTableError
 * saying what is wrong and where (the row, its id, the column).
 */
export function readBinaryTable(bytes: Buffer): BinaryTable {
  if (endianness() !== 'LE') throw new BinaryTableError('binary tables are read on little-endian machines only');
  if (!isBinaryTable(bytes)) throw new BinaryTableError(`not a Sieve binary table: it does not start with "${BINARY_TABLE_MAGIC.toString('latin1')}"`);
  if (bytes.length < PREAMBLE) throw new BinaryTableError(`truncated: ${bytes.length} bytes, too short for the header length`);
  const headerLength = bytes.readUInt32LE(BINARY_TABLE_MAGIC.length);
  if (headerLength > MAX_HEADER_BYTES) throw new BinaryTableError(`the header length is ${headerLength} bytes; at most ${MAX_HEADER_BYTES} are allowed`);
  const start = PREAMBLE + headerLength;
  if (start > bytes.length) throw new BinaryTableError(`truncated: the header is ${headerLength} bytes long but the file has only ${bytes.length - PREAMBLE} bytes after its length`);
  if (start % BINARY_TABLE_ALIGN !== 0) {
    throw new BinaryTableError(`the features start at byte ${start}, which is not a multiple of ${BINARY_TABLE_ALIGN}: pad the header with spaces to ${paddedHeaderLength(headerLength)} bytes`);
  }
  const header = parseHeader(bytes.subarray(PREAMBLE, start));

  const { rows, dtype } = header;
  const d = header.features.length;
  const valueBytes = rows * d * BYTES_PER_VALUE[dtype];
  const labelBytes = header.labels ? rows * 4 : 0;
  const idsStart = start + valueBytes + labelBytes;
  if (idsStart > bytes.length) {
    const what = `${rows} × ${d} ${dtype} features${header.labels ? ` and ${rows} int32 labels` : ''}`;
    throw new BinaryTableError(`truncated: ${what} need ${valueBytes + labelBytes} bytes after the header, the file has ${bytes.length - start}`);
  }

  const { ids, rowById } = readIds(bytes.subarray(idsStart), rows);
  const values = typedView(bytes, start, rows * d, dtype);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // v - v is 0 for every finite number, NaN for NaN and ±Infinity
    if (v - v !== 0) {
      const row = Math.floor(i / d);
      throw new BinaryTableError(`row ${row + 1} (id "${ids[row]}"), feature "${header.features[i % d]}": not a finite number (${v})`, row);
    }
  }
  let labelIndices: Int32Array | undefined;
  if (header.labels) {
    labelIndices = typedView(bytes, start + valueBytes, rows, 'int32');
    const count = header.labels.length;
    for (let row = 0; row < rows; row++) {
      const label = labelIndices[row];
      if (label < 0 || label >= count) {
        throw new BinaryTableError(`row ${row + 1} (id "${ids[row]}"): label index ${label} is not one of the header's ${count} labels (0 to ${count - 1})`, row);
      }
    }
  }
  return { header, ids, rowById, labelIndices, values };
}

function parseHeader(bytes: Buffer): BinaryTableHeader {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new BinaryTableError(`the header is not UTF-8 JSON (${(e as Error).message})`);
  }
  const parsed = BinaryTableHeader.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new BinaryTableError(`the header is not valid: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** The ids section: exactly `rows` ids, each followed by "\n", and nothing after them. */
function readIds(section: Buffer, rows: number): { ids: string[]; rowById: Map<string, number> } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(section);
  } catch {
    throw new BinaryTableError('the ids are not valid UTF-8');
  }
  if (rows === 0) {
    if (text.length > 0) throw new BinaryTableError(`the header says 0 rows but ${section.length} bytes follow the features`);
    return { ids: [], rowById: new Map() };
  }
  if (text.length === 0) throw new BinaryTableError(`truncated: the file ends where the ids should start (the header says ${rows} rows)`);
  if (!text.endsWith('\n')) {
    throw new BinaryTableError(`truncated: the ids section does not end with "\\n" (the last id, "${truncate(text.slice(text.lastIndexOf('\n') + 1))}", is cut off or unterminated)`);
  }
  const ids = text.slice(0, -1).split('\n');
  if (ids.length !== rows) {
    throw new BinaryTableError(`the header says ${rows} rows but the ids section holds ${ids.length} ids${ids.length < rows ? ' (truncated?)' : ''}`);
  }
  const rowById = new Map<string, number>();
  for (let row = 0; row < rows; row++) {
    const id = ids[row];
    if (id === '') throw new BinaryTableError(`row ${row + 1}: empty id`, row);
    if (id.trim() !== id) throw new BinaryTableError(`row ${row + 1}: id ${JSON.stringify(truncate(id))} starts or ends with white space`, row);
    if (CONTROL.test(id)) throw new BinaryTableError(`row ${row + 1}: id ${JSON.stringify(truncate(id))} holds a control character`, row);
    if (rowById.size === rowById.set(id, row).size) {
      throw new BinaryTableError(`row ${row + 1}: duplicate id "${truncate(id)}" (first on row ${ids.indexOf(id) + 1})`, row);
    }
  }
  return { ids, rowById };
}

/** `length` values at `offset` of `bytes`: a view when aligned, otherwise a copy (a small Buffer from Node's pool). */
function typedView(bytes: Buffer, offset: number, length: number, type: 'int32'): Int32Array;
function typedView(bytes: Buffer, offset: number, length: number, type: 'float32' | 'float64'): Float32Array | Float64Array;
function typedView(bytes: Buffer, offset: number, length: number, type: 'float32' | 'float64' | 'int32'): Float32Array | Float64Array | Int32Array {
  const size = type === 'float64' ? 8 : 4;
  const at = bytes.byteOffset + offset;
  const buffer = at % size === 0 ? bytes.buffer : new Uint8Array(bytes.subarray(offset, offset + length * size)).buffer;
  const start = at % size === 0 ? at : 0;
  if (type === 'float64') return new Float64Array(buffer, start, length);
  return type === 'float32' ? new Float32Array(buffer, start, length) : new Int32Array(buffer, start, length);
}

// eslint-disable-next-line no-control-regex -- what it finds
const CONTROL = /[\u0000-\u001f\u007f]/;

function truncate(s: string): string {
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}

/** The header length, spaces included, that makes the features start aligned. */
function paddedHeaderLength(json: number): number {
  return Math.ceil((PREAMBLE + json) / BINARY_TABLE_ALIGN) * BINARY_TABLE_ALIGN - PREAMBLE;
}

/** The magic, the header length and the header, padded: everything before the features. */
export function binaryTableHead(header: BinaryTableHeader): Buffer {
  const json = Buffer.from(JSON.stringify(BinaryTableHeader.parse(header)), 'utf8');
  const length = paddedHeaderLength(json.length);
  const head = Buffer.alloc(PREAMBLE + length, 0x20);
  BINARY_TABLE_MAGIC.copy(head, 0);
  head.writeUInt32LE(length, BINARY_TABLE_MAGIC.length);
  json.copy(head, PREAMBLE);
  return head;
}

/** The labels section (when `labelIndices` is given) and the ids section: everything after the features. */
export function binaryTableTail(ids: readonly string[], labelIndices?: Int32Array): Buffer {
  const idBytes = Buffer.from(ids.length ? `${ids.join('\n')}\n` : '', 'utf8');
  if (!labelIndices) return idBytes;
  return Buffer.concat([bytesOf(labelIndices), idBytes]);
}

/** A whole binary table in memory (tests, small files); large ones are written as head, feature chunks, tail. */
export function encodeBinaryTable(table: { ids: readonly string[]; features: string[]; values: Float32Array | Float64Array; labels?: string[]; labelIndices?: Int32Array }): Buffer {
  const dtype = table.values.BYTES_PER_ELEMENT === 8 ? 'float64' : 'float32';
  const head = binaryTableHead({ format: 'sieve-table', version: 1, rows: table.ids.length, dtype, features: table.features, ...(table.labels ? { labels: table.labels } : {}) });
  return Buffer.concat([head, bytesOf(table.values), binaryTableTail(table.ids, table.labelIndices)]);
}

/** The bytes of a typed array, not copied (little-endian: readBinaryTable refuses other machines). */
export function bytesOf(a: Float32Array | Float64Array | Int32Array): Buffer {
  return Buffer.from(a.buffer as ArrayBuffer, a.byteOffset, a.byteLength);
}
