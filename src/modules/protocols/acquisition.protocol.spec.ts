import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { AppError } from '../../core/errors/app-error.js';
import { Xoshiro128 } from '../../core/random/random.js';
import { ChallengeSpecSchema } from '../challenges/challenge-bundle.schema.js';
import { filesInMemory } from '../challenges/challenge-data.service.js';
import { type AcquisitionChallengeSpec, acquisitionProtocol, AcquisitionSpec, drawRows, validatePlan } from './acquisition.protocol.js';

const YAML = new URL('../../../challenges/fashion-acquisition/challenge.yaml', import.meta.url);

function loadSpec(): AcquisitionChallengeSpec {
  const spec = ChallengeSpecSchema.parse(parse(readFileSync(YAML, 'utf8')));
  if (spec.protocol !== 'acquisition') throw new Error(`expected an acquisition challenge, got ${spec.protocol}`);
  return spec;
}

// fashion-acquisition: atelier 5, bazaar 2, cobbler 2, jumble 1, tailor 3 credits per row; budget 2000.
const spec = loadSpec();
const stock = new Map([
  ['atelier', 400],
  ['bazaar', 600],
  ['cobbler', 600],
  ['jumble', 3000],
  ['tailor', 800],
]);

function reject(text: string, limits = stock): AppError {
  try {
    validatePlan(Buffer.from(text), spec, limits);
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('the fashion-acquisition challenge.yaml', () => {
  it('parses with its sellers, prices and budget', () => {
    expect(spec.sellers.map((s) => [s.name, s.price])).toEqual([
      ['atelier', 5],
      ['bazaar', 2],
      ['cobbler', 2],
      ['jumble', 1],
      ['tailor', 3],
    ]);
    expect(spec.budget.credits).toBe(2000);
    expect(spec.acquisition.samples).toBe(5);
  });
});

describe('validatePlan', () => {
  it('accepts a plan within budget, costing it exactly, dropping zero rows and leaving out unlisted sellers', () => {
    const plan = validatePlan(Buffer.from('seller,rows\natelier,10\nbazaar,0\r\njumble,100\n\ntailor, 7\n'), spec, stock);
    expect(plan.purchases).toEqual([
      { seller: 'atelier', rows: 10, cost: 50 },
      { seller: 'jumble', rows: 100, cost: 100 },
      { seller: 'tailor', rows: 7, cost: 21 },
    ]);
    expect(plan.cost).toBe(171);
    expect(acquisitionProtocol.itemCount(plan)).toBe(117);
  });

  it('accepts a plan costing exactly the budget', () => {
    const plan = validatePlan(Buffer.from('seller,rows\natelier,400\n'), spec, stock);
    expect(plan.cost).toBe(2000);
  });

  it('refuses a plan over budget with 422 over_budget, its cost, the per-seller breakdown and the budget', () => {
    const e = reject('seller,rows\natelier,300\ntailor,200\njumble,1\n');
    expect(e.status).toBe(422);
    expect(e.code).toBe('over_budget');
    expect(e.message).toContain('2101 credits');
    expect(e.message).toContain('atelier 300 × 5 = 1500');
    expect(e.message).toContain('tailor 200 × 3 = 600');
    expect(e.message).toContain('jumble 1 × 1 = 1');
    expect(e.message).toContain('the budget is 2000');
    expect(e.message).toContain('Buy 101 credits');
    expect(e.details).toEqual([
      { message: 'atelier: 300 rows × 5 credits = 1500' },
      { message: 'tailor: 200 rows × 3 credits = 600' },
      { message: 'jumble: 1 rows × 1 credits = 1' },
    ]);
  });

  it('refuses an unknown seller, naming the sellers', () => {
    const e = reject('seller,rows\natelier,1\nmarket,5\n');
    expect(e.status).toBe(422);
    expect(e.code).toBe('invalid_plan');
    expect(e.details).toEqual([{ line: 3, message: 'unknown seller "market"; the sellers are atelier, bazaar, cobbler, jumble, tailor' }]);
  });

  it('refuses a seller listed twice, naming its first line', () => {
    const e = reject('seller,rows\natelier,1\njumble,2\natelier,3\n');
    expect(e.status).toBe(422);
    expect(e.code).toBe('invalid_plan');
    expect(e.details).toEqual([{ line: 4, message: 'seller "atelier" is listed again (first on line 2); give one line per seller' }]);
  });

  it.each(['1.5', '-1', '1e3', 'ten', '', '0x10', '+3', '1 2', '99999999999999999999'])('refuses rows "%s" as not a whole number, with its line', (rows) => {
    const e = reject(`seller,rows\njumble,1\nbazaar,${rows}\n`);
    expect(e.status).toBe(422);
    expect(e.code).toBe('invalid_plan');
    expect(e.details).toEqual([{ line: 3, message: `rows "${rows}" is not a whole number of rows` }]);
  });

  it("refuses rows above a seller's stock", () => {
    const e = reject('seller,rows\natelier,401\n');
    expect(e.status).toBe(422);
    expect(e.details).toEqual([{ line: 2, message: 'seller "atelier" has 400 rows; the plan asks for 401' }]);
  });

  it('checks a large whole number against the stock', () => {
    const e = reject('seller,rows\nbazaar,1234567890\n');
    expect(e.details).toEqual([{ line: 2, message: 'seller "bazaar" has 600 rows; the plan asks for 1234567890' }]);
  });

  it('refuses a line with the wrong number of columns', () => {
    const e = reject('seller,rows\natelier,1,2\njumble\n');
    expect(e.status).toBe(422);
    expect(e.details).toEqual([
      { line: 2, message: 'expected 2 columns (seller,rows), got 3' },
      { line: 3, message: 'expected 2 columns (seller,rows), got 1' },
    ]);
    expect(e.message).toContain('line 2:');
    expect(e.message).toContain('and 1 more');
  });

  it.each(['seller,count\natelier,1\n', 'rows,seller\n1,atelier\n', 'seller\natelier\n'])('refuses a wrong header with 400: %j', (text) => {
    const e = reject(text);
    expect(e.status).toBe(400);
    expect(e.code).toBe('invalid_header');
    expect(e.message).toContain('"seller,rows"');
    expect(e.details[0].line).toBe(1);
  });

  it.each([
    ['a header and no lines', 'seller,rows\n'],
    ['only zero rows', 'seller,rows\natelier,0\njumble,0\n'],
  ])('refuses a plan that buys nothing: %s', (_name, text) => {
    const e = reject(text);
    expect(e.status).toBe(422);
    expect(e.code).toBe('invalid_plan');
    expect(e.message).toContain('buys no rows');
  });

  it('names the right line in a file whose line endings are mixed (LF and CRLF)', () => {
    expect(reject('seller,rows\natelier,1\r\nmarket,5\n').details).toEqual([expect.objectContaining({ line: 3 })]);
    const plan = validatePlan(Buffer.from('seller,rows\r\natelier,1\njumble,2\r\n'), spec, stock);
    expect(plan.purchases.map((p) => [p.seller, p.rows])).toEqual([
      ['atelier', 1],
      ['jumble', 2],
    ]);
  });

  it('refuses an empty file with 400', () => {
    const e = reject('');
    expect(e.status).toBe(400);
    expect(e.code).toBe('empty_file');
  });
});

/** The seed of a draw, computed by hand: the first 6 bytes of the SHA-256, big-endian. */
function seedOf(slug: string, version: number, seller: string, rows: number): number {
  const digest = createHash('sha256').update(`sieve/acquisition/${slug}/v${version}/${seller}/${rows}`).digest();
  let seed = 0;
  for (let i = 0; i < 6; i++) seed = seed * 256 + digest[i];
  return seed;
}

/** A partial Fisher–Yates over 0..available-1: swap position i with one drawn from i..available-1. */
function referenceDraw(seed: number, available: number, rows: number): number[] {
  const random = new Xoshiro128(seed);
  const order = Array.from({ length: available }, (_, i) => i);
  for (let i = 0; i < rows; i++) {
    const j = i + random.nextBelow(available - i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.slice(0, rows).sort((a, b) => a - b);
}

describe('drawRows', () => {
  const challenge = { slug: 'fashion-acquisition', version: 1 };

  it('is deterministic: the same purchase draws the same rows', () => {
    expect(Array.from(drawRows(challenge, 'atelier', 1000, 50))).toEqual(Array.from(drawRows(challenge, 'atelier', 1000, 50)));
  });

  it.each([
    [1000, 50],
    [1000, 1],
    [37, 36],
    [5000, 400],
  ])('draws exactly the rows asked for, sorted, distinct, within range (%i available, %i rows)', (available, rows) => {
    const drawn = Array.from(drawRows(challenge, 'jumble', available, rows));
    expect(drawn).toHaveLength(rows);
    expect(new Set(drawn).size).toBe(rows);
    for (let i = 1; i < drawn.length; i++) expect(drawn[i]).toBeGreaterThan(drawn[i - 1]);
    expect(drawn[0]).toBeGreaterThanOrEqual(0);
    expect(drawn.at(-1)).toBeLessThan(available);
  });

  it('draws nothing for zero rows', () => {
    expect(drawRows(challenge, 'jumble', 10, 0)).toHaveLength(0);
  });

  it('draws every row, 0..n-1, when all are bought', () => {
    expect(Array.from(drawRows(challenge, 'tailor', 257, 257))).toEqual(Array.from({ length: 257 }, (_, i) => i));
  });

  it('draws differently for another count, another seller or another version', () => {
    const base = Array.from(drawRows(challenge, 'atelier', 1000, 50));
    const moreRows = new Set(drawRows(challenge, 'atelier', 1000, 51));
    expect(base.every((r) => moreRows.has(r))).toBe(false);
    expect(Array.from(drawRows(challenge, 'bazaar', 1000, 50))).not.toEqual(base);
    expect(Array.from(drawRows({ ...challenge, version: 2 }, 'atelier', 1000, 50))).not.toEqual(base);
    expect(Array.from(drawRows({ ...challenge, slug: 'fashion-acquisition-2' }, 'atelier', 1000, 50))).not.toEqual(base);
  });

  it.each([
    ['atelier', 1000, 50],
    ['jumble', 3000, 700],
    ['tailor', 12, 11],
  ])('is a partial Fisher–Yates with Xoshiro128 seeded by the first 6 bytes of SHA-256 (%s, %i, %i)', (seller, available, rows) => {
    const seed = seedOf(challenge.slug, challenge.version, seller, rows);
    expect(seed).toBeLessThan(2 ** 48);
    expect(Array.from(drawRows(challenge, seller, available, rows))).toEqual(referenceDraw(seed, available, rows));
  });
});

describe('acquisitionProtocol.validate', () => {
  const small = AcquisitionSpec.parse({
    slug: 'tiny-acquisition',
    version: 1,
    title: 'Tiny',
    protocol: 'acquisition',
    data: { test: 'test.csv', labels: ['a', 'b'] },
    sellers: [
      { name: 'mono', data: 'mono.csv', price: 1 },
      { name: 'mixed', data: 'mixed.csv', price: 2 },
    ],
    budget: { credits: 100 },
    model: { kind: 'logreg' },
    metric: { name: 'accuracy' },
  });
  const labels = ['a', 'b'];
  const file = (role: string, text: string) => ({ file: { role, labels }, bytes: Buffer.from(text) });
  const sellers = [
    file('seller.mono', 'id,label,f1\nm1,a,1\nm2,a,2\nm3,a,3\n'),
    file('seller.mixed', 'id,label,f1\nx1,a,1\nx2,b,2\nx3,a,3\nx4,b,4\n'),
  ];

  it('checks the stock from the data files', async () => {
    const data = filesInMemory(sellers);
    await expect(acquisitionProtocol.validate(Buffer.from('seller,rows\nmono,4\n'), small, data)).rejects.toMatchObject({
      status: 422,
      details: [{ line: 2, message: 'seller "mono" has 3 rows; the plan asks for 4' }],
    });
  });

  it('refuses a plan whose rows are all of one class', async () => {
    const data = filesInMemory(sellers);
    await expect(acquisitionProtocol.validate(Buffer.from('seller,rows\nmono,3\n'), small, data)).rejects.toMatchObject({
      status: 422,
      code: 'invalid_plan',
      message: expect.stringContaining('Every row this plan buys has the label "a"'),
    });
  });

  it('accepts a plan covering two classes', async () => {
    const plan = await acquisitionProtocol.validate(Buffer.from('seller,rows\nmono,3\nmixed,4\n'), small, filesInMemory(sellers));
    expect(plan.cost).toBe(11);
  });

  it("offline, without the sellers' files, checks only the plan", async () => {
    const plan = await acquisitionProtocol.validate(Buffer.from('seller,rows\nmono,50\n'), small, filesInMemory([]));
    expect(plan).toEqual({ purchases: [{ seller: 'mono', rows: 50, cost: 50 }], cost: 50 });
  });
});
