import { readFileSync } from 'node:fs';

import { builtArtifactPath } from '../built-artifacts.js';

/**
 * The WebAssembly kernels of the logistic regression (source: `.assembly/kernels.ts`,
 * built into dist/workers/trainers/logreg/kernels.wasm by `npm run build`).
 *
 * One instance per thread; fits run synchronously, so a thread never interleaves two
 * users of its memory. Memory only grows: `reserve()` lays out the regions of one fit
 * above the module's static data and returns their byte offsets.
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
  gemm(a: number, rows: number, inner: number, m: number, kp: number, init: number, c: number): void;
  multinomialLossGrad(raw: number, n: number, k: number, kp: number, y: number): number;
  binomialLossGrad(raw: number, n: number, kp: number, y: number): number;
}

const PAGE = 65536;
const ALIGN = 16;
let shared: WasmKernels | undefined;

export class WasmKernels {
  private constructor(private readonly exports: KernelExports) {}

  /** This thread's instance (compiled on first use). */
  static shared(): WasmKernels {
    shared ??= new WasmKernels(instantiate(readFileSync(builtArtifactPath('logreg/kernels.wasm'))));
    return shared;
  }

  /**
   * Lays out regions of the given byte sizes (16-byte aligned), growing the memory as
   * needed, and returns their offsets. Invalidates views made before the call. The
   * regions are zero-filled.
   */
  reserve(sizes: readonly number[]): number[] {
    let top = alignUp(this.exports.heapBase());
    const offsets = sizes.map((size) => {
      const at = top;
      top = alignUp(top + size);
      return at;
    });
    const have = this.exports.memory.buffer.byteLength;
    if (top > have) this.exports.memory.grow(Math.ceil((top - have) / PAGE));
    const base = alignUp(this.exports.heapBase());
    new Uint8Array(this.exports.memory.buffer, base, top - base).fill(0);
    return offsets;
  }

  f64(offset: number, length: number): Float64Array {
    return new Float64Array(this.exports.memory.buffer, offset, length);
  }

  i32(offset: number, length: number): Int32Array {
    return new Int32Array(this.exports.memory.buffer, offset, length);
  }

  /**
   * C (rows × kp) = init + A (rows × inner) · M (inner × kp); rows a multiple of 8, kp
   * even; init is the offset of a kp-vector added to every row, or 0. Offsets in bytes.
   */
  gemm(a: number, rows: number, inner: number, m: number, kp: number, init: number, c: number): void {
    this.exports.gemm(a, rows, inner, m, kp, init, c);
  }

  /** Sum of multinomial log-losses; raw (n × kp) becomes the pointwise gradient. */
  multinomialLossGrad(raw: number, n: number, k: number, kp: number, y: number): number {
    return this.exports.multinomialLossGrad(raw, n, k, kp, y);
  }

  /** Sum of binary log-losses of column 0; raw (n × kp) becomes the pointwise gradient. */
  binomialLossGrad(raw: number, n: number, kp: number, y: number): number {
    return this.exports.binomialLossGrad(raw, n, kp, y);
  }
}

function instantiate(bytes: Uint8Array): KernelExports {
  const wasm = (globalThis as unknown as { WebAssembly: WasmGlobal }).WebAssembly;
  const instance = new wasm.Instance(new wasm.Module(bytes), {
    env: {
      abort: () => {
        throw new Error('logreg kernels: WebAssembly abort');
      },
    },
  });
  const e = instance.exports;
  for (const name of ['heapBase', 'gemm', 'multinomialLossGrad', 'binomialLossGrad']) {
    if (typeof e[name] !== 'function') throw new Error(`logreg kernels: kernels.wasm lacks export ${name}; rebuild with \`npm run build\``);
  }
  if (typeof e.memory !== 'object' || e.memory === null) throw new Error('logreg kernels: kernels.wasm exports no memory');
  return e as unknown as KernelExports;
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
