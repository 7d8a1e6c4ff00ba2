import { realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { AppError, type ErrorDetail } from '../../core/errors/app-error.js';
import { checkDataRef, checkDataRefs, dataRefFields, type DataRefConfig, type DataRefProblem } from './bundle-data-refs.js';
import type { ChallengeSpec } from './challenge-bundle.schema.js';
import { BundleError, type LoadedBundle, loadBundle, readSpec, type ReadUri } from './challenge-bundle.loader.js';

/**
 * Loads a bundle an organizer uploaded (extracted by extractBundle) the way loadBundle
 * loads the repository's own, with the checks an untrusted bundle needs first: every data
 * reference (checkDataRefs) before a byte of data is read, and every local data file's
 * real path inside the folder. `readUri` only ever sees URIs that pass checkDataRef.
 * Problems are a 422 `invalid_bundle`; data reference problems name the challenge.yaml field.
 */
export async function loadUploadedBundle(dir: string, config: DataRefConfig, readUri?: ReadUri): Promise<LoadedBundle> {
  try {
    const spec = await readSpec(dir);
    const problems = checkDataRefs(spec, config);
    if (problems.length > 0) throw dataRefError(problems);
    await assertInsideFolder(dir, spec);
    // loadBundle reads challenge.yaml again: the guard holds for whatever it reads then.
    const guarded: ReadUri | undefined =
      readUri &&
      ((uri) => {
        const problem = checkDataRef(uri, config);
        if (problem !== null) return Promise.reject(new BundleError('challenge.yaml', [`${uri}: ${problem}`]));
        return readUri(uri);
      });
    return await loadBundle(dir, guarded);
  } catch (e) {
    if (e instanceof BundleError) {
      const more = e.problems.length > 1 ? ` (and ${e.problems.length - 1} more; see details)` : '';
      throw AppError.unprocessable('invalid_bundle', `The bundle cannot be published: ${e.problems[0]}${more}`, e.problems.map(bundleDetail));
    }
    throw e;
  }
}

/** A loader problem as an error detail: "challenge.yaml: data.pool: …" names its file and field. */
function bundleDetail(problem: string): ErrorDetail {
  const match = /^challenge\.yaml: ([A-Za-z0-9_.]+): (.*)$/s.exec(problem);
  return match ? { file: 'challenge.yaml', field: match[1], message: match[2] } : { message: problem };
}

/** The 422 for data reference problems, each detail naming its field. */
export function dataRefError(problems: DataRefProblem[]): AppError {
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more; see details)` : '';
  const first = problems[0];
  return AppError.unprocessable(
    'invalid_bundle',
    `The bundle's data files cannot be accepted: challenge.yaml: ${first.field}: ${first.ref}: ${first.message}${more}`,
    problems.map((p) => ({ file: 'challenge.yaml', field: p.field, message: `${p.ref}: ${p.message}` })),
  );
}

/**
 * A local data file's real path must lie inside the bundle folder: a symbolic link in a
 * folder that did not come from extractBundle (which writes none) must not lead out of it.
 * Missing files are left to loadBundle, which names them.
 */
async function assertInsideFolder(dir: string, spec: ChallengeSpec): Promise<void> {
  const root = await realpath(dir);
  const problems: DataRefProblem[] = [];
  for (const { field, ref } of dataRefFields(spec)) {
    if (ref.startsWith('s3://')) continue;
    const real = await realpath(join(dir, ref)).catch(() => null);
    if (real !== null && !real.startsWith(root + sep)) {
      problems.push({ field, ref, message: 'leads out of the bundle folder (through a symbolic link); a data file must be a file inside it' });
    }
  }
  if (problems.length > 0) throw dataRefError(problems);
}
