import { Inject, Injectable } from '@nestjs/common';
import { extname } from 'node:path';
import type { EntityManager } from 'typeorm';
import { AppError } from '../../core/errors/app-error.js';
import { STORAGE, type StoragePort } from '../../core/storage/storage.port.js';
import { phaseAt, phasesOf } from './phases.js';
import { dataFilesOf, protocolFor } from '../protocols/registry.js';
import { WorkersService } from '../workers/workers.service.js';
import { leaderboardOf, queueFor, resourceClass, seedsOf, uncertaintyOf } from './spec-parts.js';
import { canonicalJson, type LoadedBundle } from './challenge-bundle.loader.js';
import { type ChallengeDataKeys, ChallengeVersion } from './challenge-version.entity.js';
import type { ChallengeSpec } from './challenge-bundle.schema.js';
import { Challenge } from './challenge.entity.js';
import { type ChallengeWithVersion, ChallengesRepository } from './challenges.repository.js';

export type PublishOutcome = 'created' | 'new_version' | 'updated' | 'unchanged';

export interface PublishResult {
  slug: string;
  version: number;
  outcome: PublishOutcome;
}

@Injectable()
export class ChallengesService {
  constructor(
    private readonly challenges: ChallengesRepository,
    @Inject(STORAGE) private readonly storage: StoragePort,
    private readonly workers: WorkersService,
  ) {}

  /**
   * Inserts or updates a challenge from a checked bundle. A change to what decides a score
   * (data, labels, model, metric) needs a higher version; anything else updates in place.
   */
  async publish(bundle: LoadedBundle): Promise<PublishResult> {
    const { spec } = bundle;
    return this.challenges.withSlugLock(spec.slug, async (em) => {
      const challenge = await em.findOneBy(Challenge, { slug: spec.slug });
      const current = challenge ? await em.findOneBy(ChallengeVersion, { challengeId: challenge.id, version: challenge.currentVersion }) : null;
      if (!challenge || !current) {
        const created = challenge ?? (await em.save(em.create(Challenge, { slug: spec.slug, title: spec.title, protocol: spec.protocol, currentVersion: spec.version })));
        await this.insertVersion(em, created, bundle);
        return { slug: spec.slug, version: spec.version, outcome: 'created' };
      }
      if (spec.version < current.version) {
        throw AppError.conflict(
          'stale_version',
          `${spec.slug}: challenge.yaml says version ${spec.version}, but version ${current.version} is already published; versions only go up`,
        );
      }
      if (spec.version === current.version) {
        if (bundle.contentHash !== current.contentHash) {
          throw AppError.conflict(
            'version_not_bumped',
            `${spec.slug}: the data, labels, model or metric changed but version is still ${spec.version}. ` +
              `Set "version: ${spec.version + 1}" in challenge.yaml to publish the change (scores record the version they were computed under)`,
          );
        }
        if (canonicalJson(current.spec) === canonicalJson(spec) && challenge.title === spec.title) {
          return { slug: spec.slug, version: spec.version, outcome: 'unchanged' };
        }
        await em.update(ChallengeVersion, { id: current.id }, { spec, dataSummary: bundle.summary });
        await em.update(Challenge, { id: challenge.id }, { title: spec.title });
        return { slug: spec.slug, version: spec.version, outcome: 'updated' };
      }
      await this.insertVersion(em, challenge, bundle);
      await em.update(Challenge, { id: challenge.id }, { title: spec.title, currentVersion: spec.version });
      return { slug: spec.slug, version: spec.version, outcome: 'new_version' };
    });
  }

  private async insertVersion(em: EntityManager, challenge: Challenge, bundle: LoadedBundle): Promise<void> {
    const { spec } = bundle;
    const prefix = `challenges/${spec.slug}/v${spec.version}-${bundle.contentHash.slice(0, 12)}`;
    const dataKeys: ChallengeDataKeys = {};
    for (const { file, bytes } of bundle.files) {
      dataKeys[file.role] = `${prefix}/${file.role}${dataExtension(file.ref)}`;
      await this.storage.put(dataKeys[file.role], bytes);
    }
    await em.insert(ChallengeVersion, {
      challengeId: challenge.id,
      version: spec.version,
      contentHash: bundle.contentHash,
      spec,
      dataKeys,
      dataSummary: bundle.summary,
    });
  }

  async list() {
    const rows = await this.challenges.list();
    return rows.map(({ challenge, version }) => ({
      slug: challenge.slug,
      title: challenge.title,
      summary: version.spec.summary,
      protocol: challenge.protocol,
      status: challenge.status,
      version: version.version,
    }));
  }

  async get(slug: string): Promise<ChallengeWithVersion> {
    const found = await this.challenges.findBySlug(slug);
    if (!found) throw AppError.notFound(`Challenge "${slug}"`);
    return found;
  }

  /** The spec a version was published with (null when that version is gone). */
  async specOf(challengeId: string, version: number): Promise<ChallengeSpec | null> {
    return (await this.challenges.findVersion(challengeId, version))?.spec ?? null;
  }

  async slugOf(challengeId: string): Promise<string> {
    return (await this.challenges.findById(challengeId))?.slug ?? challengeId;
  }

  /** The public part of a challenge: never the test data or anything derived from it. */
  async describe(slug: string) {
    const { challenge, version } = await this.get(slug);
    const { spec, dataSummary } = version;
    const protocol = protocolFor(spec);
    const { seeds, invariant } = seedsOf(spec.model);
    const queue = queueFor(spec);
    const publicFiles = dataFilesOf(spec).filter((f) => !f.hidden && version.dataKeys[f.role]);
    const phase = phaseAt(spec, new Date());
    return {
      slug: challenge.slug,
      title: challenge.title,
      summary: spec.summary,
      protocol: challenge.protocol,
      status: challenge.status,
      version: version.version,
      publishedAt: version.publishedAt,
      labels: 'data' in spec ? spec.data.labels : undefined,
      model: { kind: spec.model.kind, params: spec.model.params, seeds: invariant ? null : seeds, seedInvariant: invariant },
      files: publicFiles.map((f) => ({ role: f.role, url: `/api/v1/challenges/${challenge.slug}/files/${f.role}` })),
      /** waiting: null while a live worker serves the challenge's queue, else e.g. "waiting for a GPU worker". */
      resources: { class: resourceClass(spec), queue, waiting: await this.workers.waitingFor(queue) },
      ...protocol.describe(spec, dataSummary),
      /** Every phase with its dates and limits, and the one taking submissions now (null: none). */
      phases: phasesOf(spec),
      currentPhase: phase.state === 'open' ? phase.phase.name : null,
      limits: { maxFileBytes: spec.limits.maxFileBytes },
      uncertainty: describeUncertainty(spec),
      /** The board: the public share of the test set (null: no split), final picks per participant, the Ladder, display precision. */
      leaderboard: (({ split, finalSubmissions, ladder, precision }) => ({ publicFraction: split?.publicFraction ?? null, finalSubmissions, ladder, precision: precision ?? null }))(leaderboardOf(spec)),
    };
  }

  /** A public data file as stored (CSV, possibly gzip-compressed): the pool, the dev split, a starter set… */
  async publicFile(slug: string, role: string): Promise<{ stream: NodeJS.ReadableStream; gzip: boolean; filename: string }> {
    const { version } = await this.get(slug);
    const file = dataFilesOf(version.spec).find((f) => f.role === role && !f.hidden);
    const key = file && version.dataKeys[role];
    if (!key) throw AppError.notFound(`A public file "${role}" of challenge "${slug}"`);
    return { stream: await this.storage.getStream(key), gzip: key.endsWith('.gz'), filename: `${slug}-v${version.version}-${role}.csv` };
  }
}

function dataExtension(ref: string): string {
  return ref.endsWith('.csv.gz') ? '.csv.gz' : extname(ref);
}

/** How a score's interval is computed, in words and settings (cleaning and multi-task scores have none). */
function describeUncertainty(spec: ChallengeSpec) {
  if (spec.protocol === 'cleaning' || spec.protocol === 'multitask') {
    return { method: null, note: 'This score is not an average over test examples, so it carries no bootstrap interval; the spread over seeds is shown where the model has several.' };
  }
  const { resamples, seed, level } = uncertaintyOf(spec);
  return {
    method: 'percentile bootstrap over test examples',
    resamples,
    seed,
    level,
    note:
      `Each score carries a ${Math.round(level * 100)}% interval: the test examples are resampled with replacement ${resamples} times (seeded, the same draws for every submission and seed), ` +
      `the ranking metric is computed on each resample (the mean over the model's seeds where it has several), and the interval spans the middle ${Math.round(level * 100)}% of those values.`,
    tieGroups:
      'On the board, entries are compared with a paired bootstrap on the same resamples of the same test examples: going down the ranking, an entry joins the group of the entry that leads it ' +
      `unless the leader's ${Math.round(level * 100)}% interval of the difference excludes zero, which starts a new group. Entries of a group share its rank range; the order inside a group is not significant.`,
  };
}
