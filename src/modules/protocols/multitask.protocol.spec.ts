import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import yazl from 'yazl';
import { AppError } from '../../core/errors/app-error.js';
import { ChallengeSpecSchema } from '../challenges/challenge-bundle.schema.js';
import { filesInMemory } from '../challenges/challenge-data.service.js';
import { multitaskProtocol, MultitaskSpec, taskSpec } from './multitask.protocol.js';
import type { Selection } from './selection.protocol.js';

const YAML = new URL('../../../challenges/fashion-concepts/challenge.yaml', import.meta.url);

/** A zip written by yazl. */
async function zipOf(entries: Record<string, string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, text] of Object.entries(entries)) zip.addBuffer(Buffer.from(text), name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const labels = ['no', 'yes'];
const selectionTask = (name: string, maxItems = 3) => ({
  name,
  protocol: 'selection',
  data: { pool: `${name}/pool.csv`, test: `${name}/test.csv`, labels },
  budget: { maxItems },
  metric: { name: 'f1', positiveLabel: 'yes' },
});
const cleaningTask = (name: string) => ({
  name,
  protocol: 'cleaning',
  data: { pool: `${name}/pool.csv`, clean: `${name}/clean.csv`, test: `${name}/test.csv`, labels },
});
const base = {
  slug: 'tiny-multitask',
  version: 3,
  title: 'Tiny',
  protocol: 'multitask',
  model: { kind: 'mlp', params: { hidden: 4 }, seeds: [0, 1] },
  limits: { maxFileBytes: 4096 },
  tasks: [selectionTask('shoes'), selectionTask('bags', 2)],
};

/** The messages of a refused spec. */
function refusal(input: unknown): string[] {
  const result = MultitaskSpec.safeParse(input);
  if (result.success) throw new Error('expected the spec to be refused');
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('MultitaskSpec', () => {
  it('parses the real fashion-concepts challenge.yaml', () => {
    const spec = ChallengeSpecSchema.parse(parse(readFileSync(YAML, 'utf8')));
    if (spec.protocol !== 'multitask') throw new Error(`expected multitask, got ${spec.protocol}`);
    expect(spec.tasks.map((t) => t.name)).toEqual(['footwear', 'tops', 'bag']);
    expect(spec.metric).toEqual({ name: 'task_mean' });
    expect(multitaskProtocol.ranking(spec)).toEqual({ metric: 'task_mean', direction: 'maximize' });
  });

  it('parses a small spec, filling defaults', () => {
    const spec = MultitaskSpec.parse(base);
    expect(spec.metric).toEqual({ name: 'task_mean' });
    expect(spec.summary).toBe('');
  });

  it('refuses duplicate task names', () => {
    expect(refusal({ ...base, tasks: [selectionTask('shoes'), selectionTask('shoes')] })).toContain('tasks: task names must be unique');
  });

  it('refuses a single task', () => {
    expect(refusal({ ...base, tasks: [selectionTask('shoes')] })).toContain('tasks: a multi-task challenge needs at least 2 tasks');
  });

  it('refuses tasks ranking in different directions (selection maximizes, cleaning minimizes)', () => {
    const messages = refusal({ ...base, tasks: [selectionTask('shoes'), cleaningTask('noisy')] });
    expect(messages).toEqual([expect.stringMatching(/^tasks: every task must rank in the same direction/)]);
  });

  it('accepts tasks of different protocols ranking in the same direction', () => {
    const spec = MultitaskSpec.parse({ ...base, tasks: [cleaningTask('one'), cleaningTask('two')] });
    expect(multitaskProtocol.ranking(spec).direction).toBe('minimize');
  });

  it('refuses an unknown task protocol', () => {
    const messages = refusal({ ...base, tasks: [selectionTask('shoes'), { ...selectionTask('bags'), protocol: 'labeling' }] });
    expect(messages).toEqual([expect.stringMatching(/^tasks\.1\.protocol: /)]);
  });

  it('refuses a task field the protocol does not have', () => {
    const messages = refusal({ ...base, tasks: [selectionTask('shoes'), { ...selectionTask('bags'), cleaning: { steps: 3 } }] });
    expect(messages.some((m) => m.startsWith('tasks.1'))).toBe(true);
  });

  it('refuses model.seeds on a logreg model, saying it is seed-invariant', () => {
    const messages = refusal({ ...base, model: { kind: 'logreg', seeds: [0, 1] } });
    expect(messages).toEqual([expect.stringMatching(/^model\.seeds: .*seed-invariant/)]);
  });
});

describe('taskSpec', () => {
  const spec = MultitaskSpec.parse(base);

  it("merges the challenge's slug, version, model, limits and resources into the task, without its name", () => {
    const ts = taskSpec(spec, 'bags');
    expect(ts).toEqual({
      slug: 'tiny-multitask',
      version: 3,
      title: 'Tiny',
      summary: '',
      model: spec.model,
      limits: { maxFileBytes: 4096 },
      resources: { class: 'cpu' },
      protocol: 'selection',
      data: { pool: 'bags/pool.csv', test: 'bags/test.csv', labels },
      budget: { maxItems: 2 },
      metric: { name: 'f1', positiveLabel: 'yes' },
    });
    expect(ts).not.toHaveProperty('name');
  });

  it('throws for a task that does not exist', () => {
    expect(() => taskSpec(spec, 'hats')).toThrow('no task "hats"');
  });
});

describe('multitaskProtocol.dataFiles', () => {
  it("prefixes each task's roles with <task>.", () => {
    const files = multitaskProtocol.dataFiles(MultitaskSpec.parse(base));
    expect(files.map((f) => [f.role, f.ref, f.hidden])).toEqual([
      ['shoes.pool', 'shoes/pool.csv', false],
      ['shoes.test', 'shoes/test.csv', true],
      ['bags.pool', 'bags/pool.csv', false],
      ['bags.test', 'bags/test.csv', true],
    ]);
  });
});

describe('multitaskProtocol.validate', () => {
  const spec = MultitaskSpec.parse(base);
  const file = (role: string, text: string) => ({ file: { role, labels }, bytes: Buffer.from(text) });
  const data = () =>
    filesInMemory([
      file('shoes.pool', 'id,label,f1\ns1,no,0\ns2,yes,1\ns3,no,2\ns4,yes,3\n'),
      file('shoes.test', 'id,label,f1\nt1,no,0\nt2,yes,1\n'),
      file('bags.pool', 'id,label,f1\nb1,no,0\nb2,yes,1\nb3,yes,2\n'),
      file('bags.test', 'id,label,f1\nt1,no,0\nt2,yes,1\n'),
    ]);

  async function reject(upload: Buffer): Promise<AppError> {
    try {
      await multitaskProtocol.validate(upload, spec, data());
    } catch (e) {
      if (e instanceof AppError) return e;
      throw e;
    }
    throw new Error('expected a rejection');
  }

  it('parses each task file with its own protocol, in task order', async () => {
    const zip = await zipOf({ 'bags.csv': 'id\nb3\nb1\n', 'shoes.csv': 'id\ns1\ns2\ns4\n' });
    const submission = await multitaskProtocol.validate(zip, spec, data());
    expect(submission.tasks.map((t) => [t.name, t.items])).toEqual([
      ['shoes', 3],
      ['bags', 2],
    ]);
    const shoes = submission.tasks[0].parsed as Selection;
    expect(Array.from(shoes.rows)).toEqual([0, 1, 3]);
    expect(Array.from((submission.tasks[1].parsed as Selection).labels)).toEqual([1, 0]);
    expect(multitaskProtocol.itemCount(submission)).toBe(5);
  });

  it('refuses a file that is not a zip with 400', async () => {
    const e = await reject(Buffer.from('id\ns1\n'));
    expect(e.status).toBe(400);
    expect(e.code).toBe('not_a_zip');
    expect(e.message).toContain('shoes.csv, bags.csv');
  });

  it('refuses a file over maxFileBytes with 413', async () => {
    const e = await reject(Buffer.alloc(5000, 0x50));
    expect(e.status).toBe(413);
  });

  it('refuses a zip missing a task file, naming it', async () => {
    const e = await reject(await zipOf({ 'shoes.csv': 'id\ns1\ns2\n' }));
    expect(e.status).toBe(422);
    expect(e.code).toBe('invalid_submission_files');
    expect(e.details).toEqual([{ file: 'bags.csv', message: 'bags.csv is missing' }]);
    expect(e.message).toContain('bags.csv is missing');
  });

  it.each(['README.md', 'hats.csv', 'sub/shoes.csv'])('refuses a zip with an extra file: %s', async (extra) => {
    const e = await reject(await zipOf({ 'shoes.csv': 'id\ns1\ns2\n', 'bags.csv': 'id\nb1\nb2\n', [extra]: 'id\n' }));
    expect(e.status).toBe(422);
    expect(e.code).toBe('invalid_submission_files');
    expect(e.details).toEqual([{ file: extra, message: expect.stringContaining(`${extra}: not a task file`) }]);
  });

  it("prefixes a task file's own error with its name and puts the file in its details", async () => {
    const e = await reject(await zipOf({ 'shoes.csv': 'id\ns1\ns2\n', 'bags.csv': 'id\nb1\nnope\n' }));
    expect(e.status).toBe(422);
    expect(e.code).toBe('invalid_selection');
    expect(e.message.startsWith('bags.csv: The selection is not valid: line 3: id "nope" is not in the pool')).toBe(true);
    expect(e.details).toEqual([{ file: 'bags.csv', line: 3, message: 'id "nope" is not in the pool' }]);
  });

  it("keeps a task file's 400 status, prefixed", async () => {
    const e = await reject(await zipOf({ 'shoes.csv': 'ids\ns1\n', 'bags.csv': 'id\nb1\nb2\n' }));
    expect(e.status).toBe(400);
    expect(e.code).toBe('invalid_header');
    expect(e.message.startsWith('shoes.csv: Line 1: expected the header "id"')).toBe(true);
    expect(e.details).toEqual([expect.objectContaining({ file: 'shoes.csv', line: 1 })]);
  });

  it("refuses a task file over that task's budget", async () => {
    const e = await reject(await zipOf({ 'shoes.csv': 'id\ns1\ns2\n', 'bags.csv': 'id\nb1\nb2\nb3\n' }));
    expect(e.status).toBe(422);
    expect(e.message).toContain('bags.csv: ');
    expect(e.message).toContain('the budget allows at most 2');
  });
});
