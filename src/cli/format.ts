/** Bytes for people: 1023 B, 1.5 kB, 12.3 MB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

interface PhaseView {
  name: string;
  opens: string | null;
  closes: string | null;
  limits?: Record<string, number | undefined>;
}

/** The parts of a challenge page a participant reads first, as lines for the terminal. */
export function describeChallenge(c: Record<string, unknown>): string {
  const metric = c.metric as { name?: string; direction?: string } | undefined;
  const model = c.model as { kind?: string } | undefined;
  const phases = (c.phases as PhaseView[] | undefined) ?? [];
  const you = c.you as { organizer: string | null; joinedAt: string | null; teamId: string | null } | null | undefined;
  const submission = c.submission as { description?: string } | undefined;
  const lines = [
    `${String(c.title)} (${String(c.slug)} v${String(c.version)}, ${String(c.status)})`,
    c.summary ? String(c.summary) : '',
    `protocol: ${String(c.protocol)}; model: ${model?.kind ?? '?'}; metric: ${metric?.name ?? '?'} (${metric?.direction === 'minimize' ? 'lower' : 'higher'} is better)`,
    submission?.description ? `submit: ${submission.description}` : '',
    ...phases.map((p) => {
      const limits = Object.entries(p.limits ?? {})
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      return `phase ${p.name}${p.name === c.currentPhase ? ' (open now)' : ''}: ${p.opens ?? 'always'} → ${p.closes ?? 'never'}${limits ? `; limits: ${limits}` : ''}`;
    }),
    c.license ? `license: ${String(c.license)}` : '',
    you === undefined || you === null ? 'you: not logged in' : you.organizer ? `you: organizer (${you.organizer})` : you.joinedAt ? `you: joined ${you.joinedAt}${you.teamId ? ', in a team' : ''}` : 'you: not joined yet (sieve join <slug>)',
  ];
  return `${lines.filter(Boolean).join('\n')}\n`;
}
