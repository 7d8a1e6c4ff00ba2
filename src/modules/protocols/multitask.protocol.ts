import { z } from 'zod';
import { AppError, type ErrorDetail } from '../../core/errors/app-error.js';
import { checkPositiveLabel, common, COMMON_KEYS, type Direction } from '../challenges/spec-parts.js';
import { type AcquisitionChallengeSpec, acquisitionFields, acquisitionProtocol } from './acquisition.protocol.js';
import { type CleaningChallengeSpec, cleaningFields, cleaningProtocol } from './cleaning.protocol.js';
import { type DatasetChallengeSpec, datasetFields, datasetProtocol } from './dataset.protocol.js';
import type { BundleData, ChallengeData, ProtocolDefinition } from './protocol.js';
import { type SelectionChallengeSpec, selectionFields, selectionProtocol } from './selection.protocol.js';
import { isZip, readZipUpload } from './uploads/zip-upload.js';

const TaskName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'lowercase letters, digits and -, at most 32 characters');
const task = <F extends z.core.$ZodLooseShape>(fields: F) => z.strictObject({ name: TaskName, ...fields });

/** A task: a single-task challenge's protocol-specific fields, with a name; the rest comes from the challenge. */
const Task = z.discriminatedUnion('protocol', [
  task(selectionFields).superRefine(checkPositiveLabel),
  task(cleaningFields),
  task(acquisitionFields).superRefine(checkPositiveLabel),
  task(datasetFields).superRefine(checkPositiveLabel),
]);

/** The spec of one task, as a single-task challenge (the challenge's model, limits, slug and version). */
export type TaskSpec = SelectionChallengeSpec | CleaningChallengeSpec | AcquisitionChallengeSpec | DatasetChallengeSpec;

const SINGLE_TASK = {
  selection: selectionProtocol,
  cleaning: cleaningProtocol,
  acquisition: acquisitionProtocol,
  dataset: datasetProtocol,
} satisfies { [P in TaskSpec['protocol']]: unknown };

/** The protocol of one task. */
export function taskProtocol(spec: TaskSpec): ProtocolDefinition<TaskSpec> {
  return SINGLE_TASK[spec.protocol] as unknown as ProtocolDefinition<TaskSpec>;
}

/**
 * multitask (DataPerf vision's three concepts, speech's languages × budgets): several
 * tasks, each of a single-task protocol with its own data, budget and metric, sharing the
 * challenge's model. One submission is a zip holding `<task>.csv` for every task; the
 * score is the mean of the tasks' scores, and every task's score is kept.
 */
export const MultitaskSpec = z
  .strictObject({
    ...common,
    protocol: z.literal('multitask'),
    tasks: z
      .array(Task)
      .min(2, 'a multi-task challenge needs at least 2 tasks')
      .max(20)
      .refine((t) => new Set(t.map((x) => x.name)).size === t.length, 'task names must be unique'),
    metric: z.strictObject({ name: z.literal('task_mean') }).prefault({ name: 'task_mean' }),
  })
  .superRefine((spec, ctx) => {
    const directions = new Set(spec.tasks.map((t) => taskProtocol(taskSpec(spec, t.name)).ranking(taskSpec(spec, t.name)).direction));
    if (directions.size > 1) {
      ctx.addIssue({ code: 'custom', path: ['tasks'], message: 'every task must rank in the same direction (all maximize or all minimize), so that their mean means something' });
    }
  });
export type MultitaskChallengeSpec = z.infer<typeof MultitaskSpec>;

/** Task `name` of `spec` as a single-task spec. */
export function taskSpec(spec: Pick<MultitaskChallengeSpec, (typeof COMMON_KEYS)[number] | 'tasks'>, name: string): TaskSpec {
  const found = spec.tasks.find((t) => t.name === name);
  if (!found) throw new Error(`no task "${name}"`);
  const shared = Object.fromEntries(COMMON_KEYS.map((k) => [k, spec[k]]));
  const fields = Object.fromEntries(Object.entries(found).filter(([key]) => key !== 'name'));
  return { ...shared, ...fields } as TaskSpec;
}

/** A task's data files are the challenge's files whose role starts with "<task>.". */
export function taskData(data: ChallengeData, name: string): ChallengeData {
  return { has: (role) => data.has(`${name}.${role}`), get: (role) => data.get(`${name}.${role}`) };
}

function taskBundleData(data: BundleData, name: string): BundleData {
  const prefix = `${name}.`;
  return new Map([...data].filter(([role]) => role.startsWith(prefix)).map(([role, ds]) => [role.slice(prefix.length), ds]));
}

/** A valid multi-task submission: each task's parsed file, in the challenge's task order. */
export interface MultitaskSubmission {
  tasks: { name: string; parsed: unknown; items: number }[];
}

const direction = (spec: MultitaskChallengeSpec): Direction => {
  const first = taskSpec(spec, spec.tasks[0].name);
  return taskProtocol(first).ranking(first).direction;
};

export const multitaskProtocol: ProtocolDefinition<MultitaskChallengeSpec, MultitaskSubmission> = {
  dataFiles(spec) {
    return spec.tasks.flatMap(({ name }) => {
      const ts = taskSpec(spec, name);
      return taskProtocol(ts).dataFiles(ts).map((f) => ({ ...f, role: `${name}.${f.role}` }));
    });
  },
  checkData(spec, data) {
    const problems: string[] = [];
    const tasks: Record<string, unknown> = {};
    for (const { name } of spec.tasks) {
      const ts = taskSpec(spec, name);
      const checked = taskProtocol(ts).checkData(ts, taskBundleData(data, name));
      problems.push(...checked.problems.map((p) => `task ${name}: ${p}`));
      tasks[name] = checked.summary;
    }
    return { problems, summary: { tasks } };
  },
  scoringPart(spec) {
    return {
      protocol: spec.protocol,
      model: spec.model,
      tasks: spec.tasks.map(({ name }) => {
        const ts = taskSpec(spec, name);
        return { name, scoring: taskProtocol(ts).scoringPart(ts) };
      }),
    };
  },
  ranking: (spec) => ({ metric: 'task_mean', direction: direction(spec) }),
  breakdown: (spec) =>
    spec.tasks.map(({ name }) => {
      const ts = taskSpec(spec, name);
      return { name, metric: `${name}.${taskProtocol(ts).ranking(ts).metric}` };
    }),
  describe(spec, summary) {
    const facts = (summary as { tasks: Record<string, Record<string, unknown>> }).tasks;
    return {
      tasks: spec.tasks.map(({ name }) => {
        const ts = taskSpec(spec, name);
        const described = taskProtocol(ts).describe(ts, facts[name] as never);
        return { name, protocol: ts.protocol, labels: 'data' in ts ? ts.data.labels : undefined, ...described };
      }),
      metric: { name: 'task_mean', direction: direction(spec), description: "the mean of the tasks' scores" },
      submissionFormat: {
        contentType: 'application/zip',
        field: 'file',
        files: spec.tasks.map((t) => `${t.name}.csv`),
        maxFileBytes: spec.limits.maxFileBytes,
        description: `A zip holding one file per task, named ${spec.tasks.map((t) => `"${t.name}.csv"`).join(', ')}, each in that task's submissionFormat.`,
      },
    };
  },
  async validate(file, spec, data) {
    const expected = spec.tasks.map((t) => `${t.name}.csv`);
    if (file.length > spec.limits.maxFileBytes) {
      throw AppError.tooLarge(`The file is ${file.length} bytes; this challenge accepts at most ${spec.limits.maxFileBytes} bytes`);
    }
    if (!isZip(file)) {
      throw AppError.badRequest('not_a_zip', `A multi-task submission is a zip holding ${expected.join(', ')}; this file is not a zip`);
    }
    const entries = await readZipUpload(file, {
      maxEntries: spec.tasks.length + 16,
      maxEntryBytes: spec.limits.maxFileBytes * 8,
      maxTotalBytes: spec.limits.maxFileBytes * 8,
    });
    const byName = new Map(entries.map((e) => [e.name, e]));
    const problems: ErrorDetail[] = [];
    for (const entry of entries) {
      if (!expected.includes(entry.name)) problems.push({ file: entry.name, message: `${entry.name}: not a task file; the zip holds exactly ${expected.join(', ')} (no folders)` });
    }
    for (const name of expected) if (!byName.has(name)) problems.push({ file: name, message: `${name} is missing` });
    if (problems.length > 0) throw AppError.unprocessable('invalid_submission_files', `The zip is not as expected: ${problems[0].message}`, problems);

    const tasks: MultitaskSubmission['tasks'] = [];
    for (const { name } of spec.tasks) {
      const ts = taskSpec(spec, name);
      const protocol = taskProtocol(ts);
      try {
        const parsed = await protocol.validate(byName.get(`${name}.csv`)!.bytes, ts, taskData(data, name));
        tasks.push({ name, parsed, items: protocol.itemCount(parsed) });
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        throw new AppError(e.status, e.code, `${name}.csv: ${e.message}`, e.details.map((d) => ({ ...d, file: d.file ?? `${name}.csv` })));
      }
    }
    return { tasks };
  },
  itemCount: (submission) => submission.tasks.reduce((sum, t) => sum + t.items, 0),
};
