import { readFileSync } from 'node:fs';

import { builtArtifactPath } from '../built-artifacts.js';

/**
 * The WebAssembly kernels of the logistic regression (source: `.assembly/kernels.ts`,
 * built into dist/workers/trainers/logreg/kernels.wasm by `npm run build`). Plain JS
 * loops over Float64Arrays measured 5-10x slower than these f64x2 loops here.
 *
 * Each instance owns one linear memory. A thread keeps one instance per user
 * (`shared('model')` for the training data and scores, `shared('optimizer')` for
 * L-BFGS's vectors), so neither can move the other's arrays. Fits run synchronously:
 * a thread never interleaves two users of one memory. Everything runs on the calling
 * thread (a helper thread sharing the memory was tried: on this project's 2-core
 * machines it gained a little when idle and lost up to 2x under load).
 *
 * Memory only grows. `reserve()` lays out the regions of one fit above the module's
 * static data and returns their byte offsets; it may grow the memory, which detaches
 * every view made before: make views (`f64`, `i32`) after the last `reserve()`.
 */

// The lib setting (ES2023, no DOM) declares no WebAssembly types: name what is used.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmGlobal {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
}
interface KernelExports {
  memory: WasmMemory;
  heapBase(): number;
  gemm(a: number, at: number, atStride: number, rows: number, inner: number, m: number, kp: number, init: number, c: number): void;
  transpose(src: number, rows: number, cols: number, dst: number, dstStride: number): void;
  multinomialLossGrad(raw: number, n: number, k: number, kp: number, y: number, colSums: number): number;
  binomialLossGrad(raw: number, n: number, kp: number, y: number, colSums: number): number;
  dot(a: number, b: number, n: number): number;
  axpyInto(alpha: number, x: number, y: number, out: number, n: number): void;
  scaleInto(alpha: number, x: number, out: number, n: number): void;
  maxAbs(x: number, n: number): number;
  firstNonFinite(x: number, n: number): number;
  expNonPositiveArray(x: number, n: number): void;
}
const EXPORTED_FUNCTIONS = [
  'heapBase',
  'gemm',
  'transpose',
  'multinomialLossGrad',
  'binomialLossGrad',
  'dot',
  'axpyInto',
  'scaleInto',
  'maxAbs',
  'firstNonFinite',
  'expNonPositiveArray',
] as const;

export type KernelUser = 'model' | 'optimizer';

const PAGE = 65536;
const ALIGN = 16;
let compiled: object | undefined;
const shared = new Map<KernelUser, WasmKernels>();

export class WasmKernels {
  private constructor(private readonly k: KernelExports) {}

  /** This thread's instance for one user (the module is compiled on first use). */
  static shared(user: KernelUser): WasmKernels {
    let kernels = shared.get(user);
    if (!kernels) {
      kernels = new WasmKernels(instantiate());
      shared.set(user, kernels);
    }
    return kernels;
  }

  /**
   * Lays out zero-filled regions of the given byte sizes (16-byte aligned), growing the
   * memory as needed, and returns their offsets. Detaches views made before.
   */
  reserve(sizes: readonly number[]): number[] {
    const base = alignUp(this.k.heapBase());
    let top = base;
    const offsets = sizes.map((size) => {
      const at = top;
      top = alignUp(top + size);
      return at;
    });
    const have = this.k.memory.buffer.byteLength;
    if (top > have) this.k.memory.grow(Math.ceil((top - have) / PAGE));
    new Uint8Array(this.k.memory.buffer, base, top - base).fill(0);
    return offsets;
  }

  f64(offset: number, length: number): Float64Array {
    return new Float64Array(this.k.memory.buffer, offset, length);
  }

  i32(offset: number, length: number): Int32Array {
    return new Int32Array(this.k.memory.buffer, offset, length);
  }

  // All further arguments are byte offsets into this instance's memory, and counts.

  /**
   * C (rows × kp) = init + A (rows × inner) · M (inner × kp): rows a multiple of 8, kp
   * even, `at` = Aᵀ with row stride atStride (read up to 64 bytes past its end), init
   * the offset of a kp-vector added to every row, or 0 for none.
   */
  gemm(a: number, at: number, atStride: number, rows: number, inner: number, m: number, kp: number, init: number, c: number): void {
    this.k.gemm(a, at, atStride, rows, inner, m, kp, init, c);
  }

  /** dst (cols × rows, row stride dstStride) = src (rows × cols) transposed */
  transpose(src: number, rows: number, cols: number, dst: number, dstStride: number): void {
    this.k.transpose(src, rows, cols, dst, dstStride);
  }

  /**
   * Sum of multinomial log-losses; raw (n × kp) becomes the pointwise gradient and its
   * column sums go to colSums.
   */
  multinomialLossGrad(raw: number, n: number, k: number, kp: number, y: number, colSums: number): number {
    return this.k.multinomialLossGrad(raw, n, k, kp, y, colSums);
  }

  /**
   * Sum of binary log-losses of column 0; raw (n × kp) becomes the pointwise gradient
   * and its column sums go to colSums.
   */
  binomialLossGrad(raw: number, n: number, kp: number, y: number, colSums: number): number {
    return this.k.binomialLossGrad(raw, n, kp, y, colSums);
  }

  dot(a: number, b: number, n: number): number {
    return this.k.dot(a, b, n);
  }

  /** out = y + alpha·x (out may be y) */
  axpyInto(alpha: number, x: number, y: number, out: number, n: number): void {
    this.k.axpyInto(alpha, x, y, out, n);
  }

  /** out = alpha·x (out may be x) */
  scaleInto(alpha: number, x: number, out: number, n: number): void {
    this.k.scaleInto(alpha, x, out, n);
  }

  /** max |x_i|, NaN if any x_i is NaN */
  maxAbs(x: number, n: number): number {
    return this.k.maxAbs(x, n);
  }

  /** index of the first NaN or ±Infinity among x_0..x_{n-1}, or -1 */
  firstNonFinite(x: number, n: number): number {
    return this.k.firstNonFinite(x, n);
  }

  /** x_i = exp(x_i) for x_i <= 0, n even: the softmax's exp, exported for its tests */
  expNonPositive(x: number, n: number): void {
    this.k.expNonPositiveArray(x, n);
  }
}

function instantiate(): KernelExports {
  const wasm = (globalThis as unknown as { WebAssembly: WasmGlobal }).WebAssembly;
  compiled ??= new wasm.Module(readFileSync(builtArtifactPath('logreg/kernels.wasm')));
  const instance = new wasm.Instance(compiled, {
    env: {
      abort: () => {
        throw new Error('logreg kernels: WebAssembly abort');
      },
    },
  });
  const e = instance.exports;
  for (const name of EXPORTED_FUNCTIONS) {
    if (typeof e[name] !== 'function') {
      throw new Error(`logreg kernels: kernels.wasm lacks the export ${name}; rebuild with \`npm run build\``);
    }
  }
  if (typeof e.memory !== 'object' || e.memory === null) throw new Error('logreg kernels: kernels.wasm exports no memory');
  return e as unknown as KernelExports;
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
