import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

import { z } from 'zod';

import type { LogRegParams } from '../trainer.js';

/**
 * Runs scikit-learn's LogisticRegression (scripts/sklearn_logreg.py) on the same data
 * as Sieve, for the parity test and the benchmark. Needs a Python with scikit-learn:
 * /usr/bin/python3 on Debian with python3-sklearn (a pyenv `python3` on PATH usually
 * lacks it), or the interpreter named by SIEVE_SKLEARN_PYTHON.
 */

const run = promisify(execFile);

export const SKLEARN_PYTHON = process.env.SIEVE_SKLEARN_PYTHON ?? '/usr/bin/python3';

const resultSchema = z.object({
  sklearn_version: z.string(),
  classes: z.array(z.number().int()),
  coef: z.array(z.array(z.number())),
  intercept: z.array(z.number()),
  n_iter: z.number().int(),
  converged: z.boolean(),
  objective: z.number(),
  fit_seconds: z.array(z.number()),
  predictions: z.array(z.number().int()),
});

export interface SklearnResult {
  sklearnVersion: string;
  classes: number[];
  /** rows × d (one row when binary) */
  coef: number[][];
  intercept: number[];
  iterations: number;
  converged: boolean;
  /** Σ log-loss + ‖coef‖² / (2C) at sklearn's solution */
  objective: number;
  /** wall time of each .fit() call */
  fitMs: number[];
  predictions: Int32Array;
}

export interface SklearnRequest {
  train: { x: Float64Array; y: Int32Array; n: number; d: number };
  test: { x: Float64Array; n: number };
  params: LogRegParams;
  /** fits to time (default 1) */
  repeats?: number;
}

/** Whether SKLEARN_PYTHON can import scikit-learn. */
export async function sklearnAvailable(python = SKLEARN_PYTHON): Promise<boolean> {
  try {
    await run(python, ['-c', 'import sklearn']);
    return true;
  } catch {
    return false;
  }
}

export async function runSklearnLogReg(req: SklearnRequest, python = SKLEARN_PYTHON): Promise<SklearnResult> {
  const dir = await writeInputs(req);
  try {
    const { stdout } = await run(python, [scriptPath(), dir], { maxBuffer: 64 * 1024 * 1024 });
    return toResult(JSON.parse(stdout));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A Python process that holds the data and trains on request, so that a benchmark can
 * interleave scikit-learn's fits with its own (both then meet the same background
 * load). `fit()` answers the time of one .fit() call; `finish()` ends the process and
 * answers the full result of its last fit.
 */
export class SklearnSession {
  private readonly lines: AsyncIterator<string>;

  private constructor(
    private readonly child: ReturnType<typeof spawn>,
    private readonly dir: string,
  ) {
    if (!child.stdout || !child.stdin) throw new Error('sklearn session: no pipes');
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static async open(req: SklearnRequest, python = SKLEARN_PYTHON): Promise<SklearnSession> {
    const dir = await writeInputs(req);
    const child = spawn(python, [scriptPath(), dir, '--serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
    return new SklearnSession(child, dir);
  }

  /** Trains once; answers the milliseconds .fit() took. */
  async fit(): Promise<number> {
    this.child.stdin?.write('fit\n');
    const reply = z.object({ fit_seconds: z.number() }).parse(JSON.parse(await this.nextLine()));
    return reply.fit_seconds * 1000;
  }

  async finish(): Promise<SklearnResult> {
    try {
      this.child.stdin?.end('done\n');
      return toResult(JSON.parse(await this.nextLine()));
    } finally {
      this.child.kill();
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  /** Ends the process without a result (after an error). */
  abort(): void {
    this.child.kill();
    void rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }

  private async nextLine(): Promise<string> {
    const next = await this.lines.next();
    if (next.done) throw new Error('sklearn session: the Python process ended early (see its stderr above)');
    return next.value;
  }
}

async function writeInputs({ train, test, params, repeats }: SklearnRequest): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sieve-sklearn-'));
  const meta = { n: train.n, d: train.d, test_n: test.n, C: params.C, max_iter: params.maxIter, tol: params.tol, repeats: repeats ?? 1 };
  await Promise.all([
    writeFile(join(dir, 'meta.json'), JSON.stringify(meta)),
    writeFile(join(dir, 'train_x.f64'), littleEndian(train.x)),
    writeFile(join(dir, 'train_y.i32'), littleEndian(train.y)),
    writeFile(join(dir, 'test_x.f64'), littleEndian(test.x)),
  ]);
  return dir;
}

function toResult(json: unknown): SklearnResult {
  const out = resultSchema.parse(json);
  return {
    sklearnVersion: out.sklearn_version,
    classes: out.classes,
    coef: out.coef,
    intercept: out.intercept,
    iterations: out.n_iter,
    converged: out.converged,
    objective: out.objective,
    fitMs: out.fit_seconds.map((s) => s * 1000),
    predictions: Int32Array.from(out.predictions),
  };
}

/** scripts/sklearn_logreg.py of this checkout, from source or from dist/. */
function scriptPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'scripts', 'sklearn_logreg.py');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('scripts/sklearn_logreg.py not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

function littleEndian(a: Float64Array | Int32Array): Uint8Array {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) return bytes;
  throw new Error('sklearn reference: big-endian hosts are not supported');
}
