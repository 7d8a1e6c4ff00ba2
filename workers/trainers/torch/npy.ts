import { readFile, writeFile } from 'node:fs/promises';

/**
 * NumPy .npy files (format 1.0), the way data goes to and from the PyTorch runtime:
 * never as JSON. Only what the runtime exchanges: little-endian float32 matrices,
 * int64 label vectors (written) and int32 prediction vectors (read).
 */

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00]); // \x93NUMPY v1.0

function header(descr: string, shape: number[]): Buffer {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // magic (8) + length (2) + dict + padding + '\n' is a multiple of 64
  const total = Math.ceil((MAGIC.length + 2 + dict.length + 1) / 64) * 64;
  const text = `${dict}${' '.repeat(total - MAGIC.length - 2 - dict.length - 1)}\n`;
  const len = Buffer.alloc(2);
  len.writeUInt16LE(text.length);
  return Buffer.concat([MAGIC, len, Buffer.from(text, 'latin1')]);
}

/** Writes an n × d row-major matrix as float32 (every value must fit; features do). */
export async function writeFloat32Matrix(path: string, x: Float64Array, n: number, d: number): Promise<void> {
  if (x.length !== n * d) throw new Error(`npy: ${x.length} values for a ${n} × ${d} matrix`);
  const data = Float32Array.from(x);
  await writeFile(path, Buffer.concat([header('<f4', [n, d]), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

/** Writes labels as int64. */
export async function writeInt64Vector(path: string, y: Int32Array): Promise<void> {
  const data = BigInt64Array.from(y, (v) => BigInt(v));
  await writeFile(path, Buffer.concat([header('<i8', [y.length]), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

/** Reads an int32 vector of `expected` values (the runtime's predictions). */
export async function readInt32Vector(path: string, expected: number): Promise<Int32Array> {
  const bytes = await readFile(path);
  if (!bytes.subarray(0, 6).equals(MAGIC.subarray(0, 6))) throw new Error(`npy: ${path} is not a .npy file`);
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLength;
  const dict = bytes.subarray(major === 1 ? 10 : 12, start).toString('latin1');
  if (!/'descr':\s*'<i4'/.test(dict) || !/'fortran_order':\s*False/.test(dict)) throw new Error(`npy: ${path} is not a C-order int32 array (${dict.trim()})`);
  const shape = /'shape':\s*\((\d+),?\)/.exec(dict);
  if (!shape || Number(shape[1]) !== expected) throw new Error(`npy: ${path} has shape ${shape?.[0] ?? '?'}, expected (${expected},)`);
  const out = new Int32Array(expected);
  for (let i = 0; i < expected; i++) out[i] = bytes.readInt32LE(start + 4 * i);
  return out;
}
