import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The absolute path of a build output of `workers/trainers/` (the worker-thread entry,
 * the WebAssembly kernels), given relative to that folder: `training.thread.js`,
 * `logreg/kernels.wasm`.
 *
 * Compiled code (dist/workers/trainers/*.js) finds its siblings next to itself. When
 * this module runs from TypeScript source (Jest, ts-node), the outputs are taken from
 * dist/ instead — the build mirrors the source tree — so `npm run build` must have run
 * first (`npm test` does it).
 */
export function builtArtifactPath(relativeToTrainers: string): string {
  const here = import.meta.url;
  const base = here.endsWith('.ts') ? new URL('../../dist/workers/trainers/', here) : new URL('./', here);
  const path = fileURLToPath(new URL(relativeToTrainers, base));
  if (!existsSync(path)) {
    throw new Error(`${path} does not exist: run \`npm run build\` first (it compiles the trainers' worker thread and WebAssembly kernels)`);
  }
  return path;
}
