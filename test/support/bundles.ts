import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Copies the bundled challenge `from` into `dir` as `slug`, its challenge.yaml renamed
 * and then passed through `edit`. Returns the copy's challenge.yaml path.
 */
export async function copyChallenge(dir: string, from: string, slug: string, edit: (yaml: string) => string = (yaml) => yaml): Promise<string> {
  await cp(join('challenges', from), join(dir, slug), { recursive: true });
  const path = join(dir, slug, 'challenge.yaml');
  await writeFile(path, edit((await readFile(path, 'utf8')).replace(/^slug: .*$/m, `slug: ${slug}`)));
  return path;
}

/** A challenge folder under `dir` packed as `<slug>.tar.gz` the way an organizer uploads it (the folder itself inside). */
export async function packChallenge(dir: string, slug: string): Promise<Buffer> {
  const { create } = await import('tar');
  const file = join(dir, `${slug}.tar.gz`);
  await create({ gzip: true, file, cwd: dir, portable: true }, [slug]);
  return readFile(file);
}
