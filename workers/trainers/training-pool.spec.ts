import { seededUint32 } from './testing/datasets.js';
import { LOGREG_TRAINER, train, type TrainRequest } from './trainer.js';
import { TrainingPool } from './training-pool.js';

// The pool runs dist/workers/trainers/training.thread.js: `npm run build` first (npm test does).

function request(n: number, d: number, classes: number, seed: number): TrainRequest {
  const next = seededUint32(seed);
  const x = Float64Array.from({ length: n * d }, () => ((next() % 2001) - 1000) / 500);
  const y = Int32Array.from({ length: n }, (_, i) => (x[i * d] > 0 ? 1 : 0) + (x[i * d + 1] > 0.5 ? 2 : 0));
  return {
    model: { kind: 'logreg', params: { C: 1, maxIter: 200, tol: 1e-4 } },
    seed: 0,
    classes,
    train: { x, y, n, d },
    test: { x: x.slice(0, 40 * d), n: 40 },
  };
}

describe('TrainingPool', () => {
  let pool: TrainingPool;

  beforeAll(() => {
    pool = new TrainingPool({ threads: 1 });
  });

  afterAll(async () => {
    await pool.close();
  });

  it('trains on a worker thread and returns what the in-process trainer returns', async () => {
    const req = request(300, 8, 4, 1);
    const inThread = await pool.run(req);
    const local = train(req);
    expect(inThread.trainer).toEqual(LOGREG_TRAINER);
    expect(Array.from(inThread.predictions)).toEqual(Array.from(local.predictions));
    expect(inThread.iterations).toBe(local.iterations);
    expect(inThread.converged).toBe(true);
    expect(inThread.diagnostics.objective).toBe(local.diagnostics.objective);
  });

  it('trains on features in shared memory (as datasets hold them) exactly as on a copy', async () => {
    const req = request(300, 8, 4, 4);
    const shared = new Float64Array(new SharedArrayBuffer(req.train.x.byteLength));
    shared.set(req.train.x);
    const sharedTest = new Float64Array(new SharedArrayBuffer(req.test.x.byteLength));
    sharedTest.set(req.test.x);
    const inThread = await pool.run({ ...req, train: { ...req.train, x: shared }, test: { ...req.test, x: sharedTest } });
    expect(Array.from(inThread.predictions)).toEqual(Array.from(train(req).predictions));
    expect(Array.from(shared)).toEqual(Array.from(req.train.x));
  });

  it('keeps the event loop free while it trains', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      await pool.run(request(4000, 64, 4, 2));
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
  });

  it("rejects with the trainer's error", async () => {
    const req = request(50, 4, 4, 3);
    req.train.y.fill(2);
    await expect(pool.run(req)).rejects.toThrow(/only class 2/);
  });

  it('refuses a bad thread count', () => {
    expect(() => new TrainingPool({ threads: 0 })).toThrow(/threads/);
  });
});
