import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createLogger } from '../../src/core/logger/logger.js';
import { AccountsService } from '../../src/modules/accounts/accounts.service.js';
import { type RunningWorker, startWorker } from '../../workers/worker.js';
import { accessibilityProblems, launchChromium, screenshot, scrollsSideways } from '../support/browser.js';
import { type Stack, startStack } from '../support/stack.js';

const SLUG = 'digits-web';
const BASELINE = 'challenges/digits-selection/baselines/random.csv';

/**
 * The web pages in a real headless Chromium against the real API and worker: a participant
 * registers, joins, submits through the form, watches the evaluation live, and finds the
 * score on the board and on its plot; an organizer closes the phase. Every page is checked
 * with axe-core (WCAG 2.1 AA), on a phone-sized screen, and for Content-Security-Policy
 * violations; screenshots go to test-output/screenshots.
 */
describe('web pages in a browser', () => {
  let stack: Stack;
  let browser: Browser;
  let worker: RunningWorker | null = null;
  const cspViolations: string[] = [];
  const pages: Page[] = [];
  let adaToken = '';

  beforeAll(async () => {
    stack = await startStack({ queue: 'redis', challenges: [{ from: 'digits-selection', slug: SLUG }] });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await stack?.stop();
  }, 60_000);

  async function newPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(`${page.url()}: ${m.text()}`);
    });
    pages.push(page);
    return page;
  }

  /** Each page a person sees must pass axe and fit a phone's width. */
  async function check(page: Page, name: string): Promise<void> {
    expect({ name, problems: await accessibilityProblems(page) }).toEqual({ name, problems: [] });
    await screenshot(page, name);
  }

  it('a participant registers, joins, submits through the form, watches it live, and sees the score on the board and the plot', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await newPage(context);
    // The progress the submission page shows, as it shows it (kept across the page's reload).
    const seen: string[] = [];
    await page.exposeBinding('reportLive', (_source, text: string) => void seen.push(text));
    await page.addInitScript({
      content: `document.addEventListener('DOMContentLoaded', () => {
        for (const id of ['live-stage', 'live-status', 'live-progress']) {
          const el = document.getElementById(id);
          if (el) new MutationObserver(() => window.reportLive(id + ': ' + el.textContent)).observe(el, { childList: true, characterData: true, subtree: true });
        }
      });`,
    });

    await page.goto(stack.url);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Challenges');
    await check(page, '01-challenges');

    await page.getByRole('link', { name: 'Register' }).click();
    await page.getByLabel('Name').fill('ada');
    await page.getByRole('button', { name: 'Register' }).click();
    const token = (await page.locator('pre code').textContent())!;
    expect(token).toMatch(/^sieve_/);
    adaToken = token;
    await expect(page.locator('header').textContent()).resolves.toContain('Signed in as ada');
    await check(page, '02-registered');

    // Joining, by keyboard alone: tab to the box, tick it with the space bar, then press Enter on the button.
    await page.goto(`${stack.url}/c/${SLUG}`);
    const box = page.getByLabel('I accept the rules and the license of this challenge');
    for (let i = 0; i < 40 && !(await box.evaluate('(el) => el === document.activeElement')); i++) await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    expect(await box.isChecked()).toBe(true);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/c/${SLUG}#submit-title`);
    await expect(page.getByRole('link', { name: 'Download the pool (CSV)' }).count()).resolves.toBe(1);
    await check(page, '03-challenge');

    // A file the challenge refuses: the page names the lines, and nothing is queued.
    await page.getByLabel('Your submission').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('id\nnot-an-id\nnot-an-id\n') });
    await page.getByRole('button', { name: 'Submit' }).click();
    await expect(page.locator('.alert').textContent()).resolves.toMatch(/line \d+/);
    await check(page, '04-refused-file');
    expect(await stack.sql('SELECT id FROM submissions')).toEqual([]);

    // The real file, with no worker running yet: the page waits, live.
    await page.goto(`${stack.url}/c/${SLUG}`);
    await page.getByLabel('Your submission').setInputFiles(BASELINE);
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.waitForURL(/\/submissions\/[0-9a-f-]{36}$/);
    await expect(page.locator('#live-status').textContent()).resolves.toBe('queued');
    await check(page, '05-submission-queued');

    worker = await startWorker(stack.config, stack.db.url, createLogger('silent', 'sieve-test'));
    await page.locator('.score').waitFor({ timeout: 60_000 });
    expect(seen).toEqual(expect.arrayContaining(['live-status: running', 'live-stage: Validating the file', 'live-stage: Evaluating on the hidden test set']));
    expect(seen.some((s) => /^live-stage: Training run 1 of \d+/.test(s))).toBe(true);
    const id = /\/submissions\/([0-9a-f-]{36})$/.exec(page.url())![1];
    const [row] = await stack.sql<{ status: string; value: number }>('SELECT s.status, sc.value FROM submissions s JOIN scores sc ON sc.submission_id = s.id WHERE s.id = $1', [id]);
    expect(row.status).toBe('scored');
    expect(await page.locator('.score').textContent()).toBe(row.value.toFixed(4));
    await check(page, '06-submission-scored');

    await page.getByRole('link', { name: 'See it on the leaderboard' }).click();
    const entry = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'ada' }) });
    await expect(entry.textContent()).resolves.toContain(row.value.toFixed(4));
    // The plot: one record, set by ada, with her score.
    const plot = page.locator('figure.plot svg');
    await expect(plot.getAttribute('role')).resolves.toBe('img');
    await expect(plot.locator('desc').textContent()).resolves.toContain('ada');
    await expect(plot.locator('circle title').first().textContent()).resolves.toContain(row.value.toFixed(4).slice(0, 5));
    await check(page, '07-leaderboard');

    await page.getByRole('link', { name: 'My submissions' }).click();
    await expect(page.getByRole('row').count()).resolves.toBe(2);
    await check(page, '08-my-submissions');

    // A submission that fails (cancelled while queued, no worker running): its page says why, and that it is not charged.
    await worker.stop();
    worker = null;
    const form = new FormData();
    form.append('file', new Blob([await readFile(BASELINE)]), 'random.csv');
    const queued = (await (await fetch(`${stack.url}/api/v1/challenges/${SLUG}/submissions`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })).json()) as { id: string };
    expect((await fetch(`${stack.url}/api/v1/submissions/${queued.id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    await page.goto(`${stack.url}/c/${SLUG}/submissions/${queued.id}`);
    await expect(page.locator('#live-status').textContent()).resolves.toBe('failed');
    await expect(page.getByRole('alert').textContent()).resolves.toContain('cancelled');
    await expect(page.locator('main').textContent()).resolves.toContain('This failure does not count against your limits.');
    await check(page, '09-submission-failed');
    await context.close();
  }, 180_000);

  it('an organizer closes the phase; the participant can no longer submit', async () => {
    const accounts = stack.api.get(AccountsService);
    const organizer = await accounts.create('olga', 'organizer');
    const admin = await accounts.create('root', 'admin');
    const added = await fetch(`${stack.url}/api/v1/challenges/${SLUG}/collaborators`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'olga' }),
    });
    expect(added.status).toBe(201);

    const context = await browser.newContext();
    const page = await newPage(context);
    await page.goto(`${stack.url}/c/${SLUG}/organize`);
    // Not signed in: sent to sign in, and back.
    await page.getByLabel('Token').fill(organizer.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`**/c/${SLUG}/organize`);
    await check(page, '10-organize');

    await page.getByRole('button', { name: /^Close .* now$/ }).click();
    await page.waitForURL(`**/c/${SLUG}/organize#phases`);
    await expect(page.getByRole('button', { name: /^Close .* now$/ }).count()).resolves.toBe(0);
    const audit = page.locator('#audit ~ .table-wrap tbody tr').first();
    await expect(audit.textContent()).resolves.toContain('challenge.schedule');
    await expect(audit.textContent()).resolves.toContain('olga');
    await check(page, '11-organize-closed');

    const [{ spec }] = await stack.sql<{ spec: { phases: { name: string; closes: string }[] } }>(
      'SELECT v.spec FROM challenge_versions v JOIN challenges c ON c.id = v.challenge_id AND c.current_version = v.version WHERE c.slug = $1',
      [SLUG],
    );
    expect(new Date(spec.phases[0].closes).getTime()).toBeLessThanOrEqual(Date.now());

    // Submissions are refused now: the challenge page says so, and so does the API.
    await page.goto(`${stack.url}/c/${SLUG}`);
    await expect(page.locator('main').textContent()).resolves.not.toContain('open now');
    await context.close();
    const form = new FormData();
    form.append('file', new Blob([await readFile(BASELINE)]), 'random.csv');
    const refused = await fetch(`${stack.url}/api/v1/challenges/${SLUG}/submissions`, { method: 'POST', headers: { authorization: `Bearer ${adaToken}` }, body: form });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('phase_closed');
  }, 120_000);

  it('an admin signed in on the pages opens the read-only queue board', async () => {
    const admin = await stack.api.get(AccountsService).create('queen', 'admin');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${stack.url}/login`);
    await page.getByLabel('Token').fill(admin.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Queues' }).click();
    await page.getByText('evaluate-cpu').first().waitFor({ timeout: 30_000 });
    await expect(page.getByText('evaluate-gpu').count()).resolves.toBeGreaterThan(0);
    await screenshot(page, '14-admin-queues');
    await context.close();
  }, 60_000);

  it('every page fits a phone, and no page breaks its own Content-Security-Policy', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const page = await newPage(context);
    for (const path of ['/', `/c/${SLUG}`, `/c/${SLUG}/leaderboard`, '/login', '/register']) {
      await page.goto(stack.url + path);
      expect({ path, sideways: await scrollsSideways(page) }).toEqual({ path, sideways: false });
    }
    await screenshot(page, '12-phone-register');
    await page.goto(`${stack.url}/c/${SLUG}/leaderboard`);
    await screenshot(page, '13-phone-leaderboard');
    await context.close();
    expect(cspViolations).toEqual([]);
  }, 60_000);
});
