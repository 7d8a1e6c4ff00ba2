import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import yazl from 'yazl';
import { createStorage } from '../../src/core/storage/create-storage.js';
import type { StoragePort } from '../../src/core/storage/storage.port.js';
import { readZipUpload } from '../../src/modules/protocols/uploads/zip-upload.js';
import type { ScoreDetails } from '../../src/modules/submissions/score.entity.js';
import { scoreOffline } from '../../workers/evaluation/offline-scorer.js';
import * as client from '../support/client.js';
import { countRows } from '../support/services.js';
import { type Stack, startStack } from '../support/stack.js';

/** A submission as the owner reads it, with the details of every protocol. */
type Scored = Omit<client.SubmissionBody, 'details'> & { items: number; details: ScoreDetails | null };

interface ErrorBody {
  error: { code: string; message: string; details: { line?: number; file?: string; message: string }[] };
}

/** A refused upload: the status, the error code, what its message must say, and where (a line or a file in the details). */
type Refusal = [name: string, body: () => Promise<Buffer | string>, status: number, code: string, message: RegExp, where: { line?: number; file?: string } | null];

/** A deflated zip of `entries` (name → content), built in memory. */
async function zipOf(entries: Record<string, Buffer | string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(entries)) zip.addBuffer(Buffer.from(content), name, { mtime: new Date(2020, 0, 1) });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * The zip with every occurrence of the name `from` (local header and central directory)
 * overwritten by `to`, of the same length: how a hostile zip gets a name yazl refuses to write.
 */
function renamed(zip: Buffer, from: string, to: string): Buffer {
  if (Buffer.byteLength(to) !== Buffer.byteLength(from)) throw new Error('renamed: the names must be of the same length');
  const out = Buffer.from(zip);
  for (let at = out.indexOf(from); at >= 0; at = out.indexOf(from, at + 1)) out.write(to, at);
  return out;
}

/** A grayscale PNG of width × height: a gradient shifted by `shade`, or all black (it compresses to almost nothing). */
function png(width: number, height: number, shade: number | 'black' = 0): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height);
  if (shade !== 'black') for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7 + shade * 31) % 256;
  return sharp(pixels, { raw: { width, height, channels: 1 } }).png({ compressionLevel: 9 }).toBuffer();
}

/** Row `row` (1-based, after the header) of a gzip CSV `id,label,p0,…,p783`, as a 28×28 grayscale PNG. */
async function pngOfRow(file: string, row: number): Promise<Buffer> {
  const pixels = gunzipSync(await readFile(file)).toString('utf8').split('\n')[row].split(',').slice(2).map(Number);
  return sharp(Buffer.from(pixels), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
}

/** Row `row` (1-based, after the header) of a gzip CSV `id,label,p0,…,p783` as an upload line `label,p0,…,p783`. */
async function testRowCsv(file: string, row: number): Promise<string> {
  return gunzipSync(await readFile(file)).toString('utf8').split('\n')[row].split(',').slice(1).join(',');
}

/** The files of a zip, by name, as text. */
async function unzipText(bytes: Buffer): Promise<Record<string, string>> {
  const files = await readZipUpload(bytes, { maxEntries: 100, maxEntryBytes: 1 << 20, maxTotalBytes: 1 << 22 });
  return Object.fromEntries(files.map((f) => [f.name, f.bytes.toString('utf8')]));
}

const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;

/** The acquisition, dataset and multitask protocols through the real API and worker (PostgreSQL, Redis, S3). */
describe('acquisition, dataset and multitask challenges', () => {
  let stack: Stack;
  let storage: StoragePort;
  /** A participant who joined every challenge: data files are for participants. */
  let reader: string;
  beforeAll(async () => {
    stack = await startStack({ storage: 's3', queue: 'redis', worker: true });
    storage = createStorage(stack.config.storage);
    reader = await client.register(stack.url, 'reader');
    for (const { slug } of (await (await fetch(`${stack.url}/api/v1/challenges`)).json()) as { slug: string }[]) await client.join(stack.url, reader, slug);
  }, 120_000);
  afterAll(() => stack?.stop(), 30_000);

  const api = (path: string) => fetch(`${stack.url}/api/v1${path}`, { headers: { authorization: `Bearer ${reader}` } });
  const getJson = async <T = Record<string, unknown>>(path: string) => (await (await api(path)).json()) as T;
  const register = (name: string) => client.register(stack.url, name);
  const submit = (token: string, slug: string, body: Buffer | string) => client.submit(stack.url, token, slug, body);
  const settled = async (token: string, id: string) => (await client.settled(stack.url, token, id, 120_000)) as unknown as Scored;
  const scored = async (token: string, slug: string, body: Buffer | string) => {
    const s = await settled(token, await submit(token, slug, body));
    expect(s.error).toBeNull();
    expect(s.status).toBe('scored');
    return s;
  };
  const mine = async (token: string, slug: string) =>
    (await (await fetch(`${stack.url}/api/v1/challenges/${slug}/submissions`, { headers: { authorization: `Bearer ${token}` } })).json()) as unknown[];

  /** Runs refusal cases for `slug` from one account: each a clear 4xx, and no row, file or listing entry left behind. */
  const refusals = (slug: string, cases: Refusal[]) => {
    let token: string;
    let before: { rows: number; files: number };
    beforeAll(async () => {
      token = await register(`refused-${slug}`);
    });
    beforeEach(async () => {
      before = { rows: await countRows(stack.db.url, 'submissions'), files: (await storage.list('submissions/')).length };
    });
    afterEach(async () => {
      expect(await countRows(stack.db.url, 'submissions')).toBe(before.rows);
      expect(await storage.list('submissions/')).toHaveLength(before.files);
      expect(await mine(token, slug)).toEqual([]);
    });

    it.each(cases)('%s', async (_name, body, status, code, message, where) => {
      const res = await client.upload(stack.url, token, slug, await body());
      const { error } = (await res.json()) as ErrorBody;
      expect({ status: res.status, code: error.code }).toEqual({ status, code });
      expect(error.message).toMatch(message);
      if (where) expect(error.details).toContainEqual(expect.objectContaining(where));
    });
  };

  describe('fashion-acquisition', () => {
    const slug = 'fashion-acquisition';
    const dir = `challenges/${slug}`;

    it("shows each seller's summary, never a seller's rows or the test set", async () => {
      const body = await getJson<Record<string, unknown> & { sellers: Record<string, unknown>[] }>(`/challenges/${slug}`);
      expect(body).toMatchObject({
        protocol: 'acquisition',
        budget: { credits: 2000 },
        metric: { name: 'macro_f1', direction: 'maximize' },
        model: { kind: 'logreg', seeds: null, seedInvariant: true },
        submissionFormat: { header: ['seller', 'rows'] },
        files: [{ role: 'dev', url: `/api/v1/challenges/${slug}/files/dev` }],
      });
      // The README's market table.
      expect(body.sellers.map((s) => [s.name, s.rows, s.price])).toEqual([
        ['atelier', 1000, 5],
        ['bazaar', 3000, 2],
        ['cobbler', 1520, 2],
        ['jumble', 1500, 1],
        ['tailor', 2000, 3],
      ]);
      for (const seller of body.sellers) {
        expect(Object.keys(seller).sort()).toEqual(['classCounts', 'name', 'price', 'rows', 'samples']);
        expect(Object.values(seller.classCounts as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(seller.rows);
        const samples = seller.samples as { id: string; label: string; features: number[] }[];
        expect(samples).toHaveLength(5);
        for (const sample of samples) {
          expect(sample.id.startsWith(`${seller.name as string}-`)).toBe(true);
          expect(sample.features).toHaveLength(64);
        }
      }
      expect(body.sellers[0].classCounts).toEqual(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [String(i), 100])));
      const text = JSON.stringify(body);
      expect(text).not.toMatch(/sellers\/|\.csv|dataKeys|challenges\/fashion-acquisition\/v\d/);
      for (const role of ['seller.atelier', 'seller.tailor', 'test', 'pool']) expect((await api(`/challenges/${slug}/files/${role}`)).status).toBe(404);
      const dev = await api(`/challenges/${slug}/files/dev`);
      expect(dev.status).toBe(200);
      expect((await dev.text()).split('\n')[0]).toMatch(/^id,label,f0,.*,f63$/);
    });

    it('scores a plan with what it bought, the same plan bit for bit the same, as the offline scorer does', async () => {
      const token = await register('buyer');
      const plan = await readFile(`${dir}/baselines/greedy.csv`);
      const first = await scored(token, slug, plan);
      expect(first.metric).toBe('macro_f1');
      expect(first.items).toBe(1687);
      expect(first.details?.purchase).toEqual([
        { seller: 'cobbler', rows: 61, cost: 122 },
        { seller: 'jumble', rows: 1500, cost: 1500 },
        { seller: 'tailor', rows: 126, cost: 378 },
      ]);
      expect(Object.keys(first.metrics!).sort()).toEqual(['accuracy', 'dev_accuracy', 'dev_macro_f1', 'dev_macro_f1_ci_high', 'dev_macro_f1_ci_low', 'macro_f1', 'macro_f1_ci_high', 'macro_f1_ci_low']);
      const again = await scored(token, slug, plan);
      expect(Object.is(again.score, first.score)).toBe(true);
      expect(again.metrics).toStrictEqual(first.metrics);
      const offline = await scoreOffline(dir, plan, 'test');
      expect(offline.metrics).toStrictEqual(first.metrics);
    }, 120_000);

    describe('refuses an invalid plan with its line, storing nothing', () => {
      const csv = (...lines: string[]) => async () => `seller,rows\n${lines.map((l) => `${l}\n`).join('')}`;
      refusals(slug, [
        ['a plan over budget', csv('atelier,300', 'tailor,200'), 422, 'over_budget', /^The plan costs 2100 credits \(atelier 300 × 5 = 1500, tailor 200 × 3 = 600\); the budget is 2000\b/, null],
        // greedy.csv, scored above, costs exactly the 2,000 credits: one credit more is refused.
        ['a plan one credit over budget', csv('atelier,400', 'jumble,1'), 422, 'over_budget', /^The plan costs 2001 credits .*; the budget is 2000\. Buy 1 credits' worth fewer rows/, null],
        ['an unknown seller', csv('jumble,10', 'acme,10'), 422, 'invalid_plan', /line 3: unknown seller "acme"; the sellers are atelier, bazaar, cobbler, jumble, tailor/, { line: 3 }],
        ['a seller listed twice', csv('jumble,10', 'atelier,5', 'jumble,20'), 422, 'invalid_plan', /line 4: seller "jumble" is listed again \(first on line 2\)/, { line: 4 }],
        ['a fractional row count', csv('jumble,12.5'), 422, 'invalid_plan', /line 2: rows "12.5" is not a whole number of rows/, { line: 2 }],
        ['a negative row count', csv('cobbler,10', 'jumble,-3'), 422, 'invalid_plan', /line 3: rows "-3" is not a whole number of rows/, { line: 3 }],
        ['more rows than the seller has', csv('jumble,1501'), 422, 'invalid_plan', /line 2: seller "jumble" has 1500 rows; the plan asks for 1501/, { line: 2 }],
        ['a wrong header', async () => 'vendor,count\njumble,10\n', 400, 'invalid_header', /^Line 1: expected the header "seller,rows", got "vendor,count"/, { line: 1 }],
        ['a plan that buys one class only', csv('atelier,1'), 422, 'invalid_plan', /^Every row this plan buys has the label "\d"; the model needs examples of at least 2 classes/, null],
        ['an empty plan', csv(), 422, 'invalid_plan', /buys no rows/, null],
        ['a plan of zeros', csv('atelier,0', 'jumble,0'), 422, 'invalid_plan', /buys no rows/, null],
        ['an empty file', async () => '', 400, 'empty_file', /empty/, null],
      ]);
    });
  });

  describe('fashion-dataset', () => {
    const slug = 'fashion-dataset';
    const dir = `challenges/${slug}`;
    const header = `label,${Array.from({ length: 784 }, (_, i) => `p${i}`).join(',')}`;
    const row = (label: string, pixels: string[] = []) => [label, ...pixels, ...Array<string>(784 - pixels.length).fill('0')].join(',');

    it('serves the starter set and the dev split, never the test set', async () => {
      const body = await getJson(`/challenges/${slug}`);
      expect(body).toMatchObject({ protocol: 'dataset', dataset: { maxExamples: 5000, image: { width: 28, height: 28 } }, metric: { name: 'accuracy' } });
      expect(JSON.stringify(body)).not.toMatch(/test\.csv|challenges\/fashion-dataset\/v\d/);
      const starter = await api(`/challenges/${slug}/files/starter`);
      expect(starter.status).toBe(200);
      expect(starter.headers.get('content-type')).toContain('text/csv');
      const lines = (await starter.text()).trim().split('\n');
      expect(lines[0]).toBe(`id,${header}`);
      expect(lines).toHaveLength(2001);
      expect((await api(`/challenges/${slug}/files/test`)).status).toBe(404);
    });

    it('scores a gzip CSV exactly as `sieve score --split test` does, and a zip of PNGs', async () => {
      const token = await register('collector');
      const csv = await readFile(`${dir}/baselines/balanced-1000.csv.gz`);
      const images = await readFile(`${dir}/baselines/sample-images.zip`);
      const [csvId, zipId] = [await submit(token, slug, csv), await submit(token, slug, images)];
      const [offlineCsv, offlineZip] = [await scoreOffline(dir, csv, 'test'), await scoreOffline(dir, images, 'test')];

      const fromCsv = await settled(token, csvId);
      expect(fromCsv).toMatchObject({ status: 'scored', metric: 'accuracy', items: 1000 });
      expect(Object.is(fromCsv.score, offlineCsv.metrics.accuracy)).toBe(true);
      expect(fromCsv.metrics).toStrictEqual(offlineCsv.metrics);

      const fromZip = await settled(token, zipId);
      expect(fromZip).toMatchObject({ status: 'scored', metric: 'accuracy', items: 20 });
      expect(fromZip.metrics).toStrictEqual(offlineZip.metrics);
      expect(fromZip.score!).toBeLessThan(fromCsv.score!);
    }, 120_000);

    describe('refuses hostile zips and bad examples, naming the line or file, storing nothing', () => {
      refusals(slug, [
        ['a zip entry that climbs out of its folder', async () => renamed(await zipOf({ '0/a.png': await png(28, 28), '1/b.png': await png(28, 28, 1), 'zz/x.png': await png(28, 28, 2) }), 'zz/x.png', '../x.png'), 422, 'invalid_zip_entries', /"\.\.\/x\.png" is not a safe path inside the zip/, { file: '../x.png' }],
        ['a zip bomb (40 MB of zeros)', async () => zipOf({ '0/a.png': await png(28, 28), '1/bomb.png': Buffer.alloc(40 * 1024 * 1024) }), 413, 'payload_too_large', /"1\/bomb\.png" inflates to 41943040 bytes; at most \d+ bytes are allowed per file/, { file: '1/bomb.png' }],
        ['an image of the wrong size', async () => zipOf({ '0/a.png': await png(28, 28), '1/big.png': await png(32, 32) }), 422, 'invalid_images', /"1\/big\.png" is 32×32 pixels; this challenge needs 28×28/, { file: '1/big.png' }],
        ['an image of 3000×3000 pixels (a pixel bomb)', async () => zipOf({ '0/a.png': await png(28, 28), '1/huge.png': await png(3000, 3000, 'black') }), 422, 'invalid_images', /"1\/huge\.png" is 3000×3000 pixels; this challenge needs 28×28/, { file: '1/huge.png' }],
        ['a folder that is not a label', async () => zipOf({ '0/a.png': await png(28, 28), '1/b.png': await png(28, 28, 1), 'shoes/c.png': await png(28, 28, 2) }), 422, 'invalid_images', /the folder "shoes\/" is not a label of this challenge/, { file: 'shoes/' }],
        ['a CSV with an unknown label', async () => `${header}\n${row('0')}\n${row('11')}\n`, 422, 'invalid_examples', /line 3: label "11" is not one of 0, 1, 2/, { line: 3 }],
        ['a CSV with a pixel that is not a number', async () => `${header}\n${row('0')}\n${row('1')}\n${row('3', ['0', '0', 'dark'])}\n`, 422, 'invalid_examples', /line 4: column "p2" is not a finite number: "dark"/, { line: 4 }],
        ['a CSV with a pixel outside 0…255', async () => `${header}\n${row('0')}\n${row('1', ['1e300'])}\n`, 422, 'invalid_examples', /line 3: column "p0" is a pixel: a whole number from 0 to 255, not "1e300"/, { line: 3 }],
      ]);

    });

    // The check compares pixels only: the folder (label) a copy is filed under, or -0 for 0, does not matter.
    it.each<[string, () => Promise<Buffer | string>]>([
      ['copies of hidden test images', () => readFile(`${dir}/baselines/contaminated.csv.gz`)],
      ['a PNG of a hidden test image', async () => zipOf({ '0/copy.png': await pngOfRow(`${dir}/test.csv.gz`, 5), '1/mine.png': await png(28, 28) })],
      ['a test image copied with a zero written as -0', async () => `${header}\n${row('1')}\n${(await testRowCsv(`${dir}/test.csv.gz`, 5)).replace(/,0(?=,|$)/, ',-0')}\n`],
    ])('refuses %s without saying which, and counts the refusal as a submission', async (name, body) => {
      const token = await register(`copier-${name.split(' ')[0]}-${name.length}`);
      const res = await client.upload(stack.url, token, slug, await body());
      expect(res.status).toBe(422);
      const { error } = (await res.json()) as ErrorBody;
      expect(error.code).toBe('test_contamination');
      expect(error.message).toMatch(/^The upload contains examples identical to hidden test examples.*counts as a submission$/);
      expect(JSON.stringify(error)).not.toMatch(/line \d|\.png|copy/);
      const listed = (await mine(token, slug)) as { status: string; error: { code: string } }[];
      expect(listed).toEqual([expect.objectContaining({ status: 'failed', error: expect.objectContaining({ code: 'invalid_submission' }) })]);
    });
  });

  describe('fashion-concepts', () => {
    const slug = 'fashion-concepts';
    const dir = `challenges/${slug}`;
    const tasks = ['footwear', 'tops', 'bag'];

    it('describes three tasks, a zip of their files and a model trained with 3 seeds', async () => {
      const body = await getJson<Record<string, unknown> & { tasks: { name: string }[] }>(`/challenges/${slug}`);
      expect(body).toMatchObject({
        protocol: 'multitask',
        model: { kind: 'mlp', seeds: [0, 1, 2], seedInvariant: false },
        metric: { name: 'task_mean', direction: 'maximize' },
        submissionFormat: { contentType: 'application/zip', files: tasks.map((t) => `${t}.csv`) },
      });
      expect(body.tasks.map((t) => t.name)).toEqual(tasks);
      expect(JSON.stringify(body)).not.toMatch(/test\.csv|challenges\/fashion-concepts\/v\d/);
      expect((await api(`/challenges/${slug}/files/tops.test`)).status).toBe(404);
      expect((await api(`/challenges/${slug}/files/tops.pool`)).status).toBe(200);
    });

    it("scores the mean of the tasks' F1 over 3 seeds, bit for bit again, and ranks by it", async () => {
      const [a, b] = [await register('concepts-balanced'), await register('concepts-random')];
      const balanced = await readFile(`${dir}/baselines/balanced.zip`);
      const first = await scored(a, slug, balanced);
      expect(first.metric).toBe('task_mean');
      expect(first.score).toBe(first.metrics!.task_mean);
      expect(first.items).toBe(180);
      const metrics = first.metrics!;
      for (const name of ['task_mean', ...tasks.map((t) => `${t}.f1`)]) {
        expect(metrics[name]).toEqual(expect.any(Number));
        expect(metrics[`${name}_std`]).toEqual(expect.any(Number));
      }
      // The mean over seeds of the mean over tasks is the mean over tasks of the mean over seeds.
      expect(metrics.task_mean).toBeCloseTo(mean(tasks.map((t) => metrics[`${t}.f1`])), 12);
      // Per-task results come in the challenge's task order, each with its own metrics.
      expect((first.details?.tasks ?? []).map((t) => t.name)).toEqual(tasks);
      expect(first.details?.tasks?.find((t) => t.name === 'bag')?.metrics.f1).toBe(metrics['bag.f1']);
      expect(first.details?.seeds?.map((s) => s.seed)).toEqual([0, 1, 2]);
      expect(metrics['bag.f1']).toBeCloseTo(mean(first.details!.seeds!.map((s) => s.metrics['bag.f1'])), 12);

      const again = await scored(a, slug, balanced);
      expect(Object.is(again.score, first.score)).toBe(true);
      expect(again.metrics).toStrictEqual(first.metrics);
      expect(again.details).toStrictEqual(first.details);

      const random = await scored(b, slug, await readFile(`${dir}/baselines/random.zip`));
      const board = await client.leaderboard(stack.url, slug);
      expect(board).toMatchObject({ metric: 'task_mean', direction: 'maximize' });
      const expected = [
        ['concepts-balanced', first.score],
        ['concepts-random', random.score],
      ].sort((x, y) => (y[1] as number) - (x[1] as number));
      expect(board.entries.map((e) => [e.participant, e.score])).toEqual(expected);
      expect(board.entries.map((e) => e.rank)).toEqual([1, 2]);
      // Beside each score: its spread over the seeds and every task's score.
      const balancedEntry = board.entries.find((e) => e.participant === 'concepts-balanced')!;
      expect(balancedEntry.spread).toBe(first.metrics!.task_mean_std);
      expect(balancedEntry.tasks).toEqual(Object.fromEntries(tasks.map((t) => [t, first.metrics![`${t}.f1`]])));
    }, 120_000);

    describe('refuses a zip that is not one file per task, naming the file, storing nothing', () => {
      let files: Record<string, string>;
      beforeAll(async () => {
        files = await unzipText(await readFile(`${dir}/baselines/balanced.zip`));
        expect(Object.keys(files).sort()).toEqual(['bag.csv', 'footwear.csv', 'tops.csv']);
      });
      const tops = () => files['tops.csv'];
      /** tops.csv with its last id (on line `typoLine()`) replaced by one that is not in the pool: still 60 ids. */
      const topsWithTypo = () => `${tops().trimEnd().split('\n').slice(0, -1).join('\n')}\ntr-99999\n`;
      const typoLine = () => tops().trimEnd().split('\n').length;
      refusals(slug, [
        ['a CSV, not a zip', async () => tops(), 400, 'not_a_zip', /this file is not a zip/, null],
        ['a zip without bag.csv', async () => zipOf({ 'footwear.csv': files['footwear.csv'], 'tops.csv': tops() }), 422, 'invalid_submission_files', /bag\.csv is missing/, { file: 'bag.csv' }],
        ['a zip with an extra file', async () => zipOf({ ...files, 'notes.txt': 'hello' }), 422, 'invalid_submission_files', /notes\.txt: not a task file/, { file: 'notes.txt' }],
        ['a zip whose tops.csv has an id outside the pool', async () => zipOf({ ...files, 'tops.csv': topsWithTypo() }), 422, 'invalid_selection', /^tops\.csv: .*id "tr-99999" is not in the pool/, null],
      ]);

      it('says on which line of tops.csv the unknown id is', async () => {
        const res = await client.upload(stack.url, await register('concepts-typo'), slug, await zipOf({ ...files, 'tops.csv': topsWithTypo() }));
        expect(res.status).toBe(422);
        const { error } = (await res.json()) as ErrorBody;
        expect(error.message.startsWith(`tops.csv: `)).toBe(true);
        expect(error.message).toContain(`line ${typoLine()}: id "tr-99999" is not in the pool`);
        expect(error.details).toEqual([expect.objectContaining({ file: 'tops.csv', line: typoLine() })]);
      });
    });
  });
});
