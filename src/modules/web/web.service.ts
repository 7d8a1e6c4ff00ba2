import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../core/errors/app-error.js';
import { idempotencyKey } from '../../core/http/idempotency-key.js';
import type { UploadedFile } from '../../core/http/uploaded-file.js';
import { parseInput } from '../../core/validation/parse-input.js';
import type { Principal } from '../accounts/access.js';
import { AccountsService } from '../accounts/accounts.service.js';
import { TokenChecks } from '../accounts/token-checks.js';
import { clearSessionCookie, SESSION_DAYS, sessionToken, setSessionCookie } from '../accounts/session.js';
import { ChallengesService } from '../challenges/challenges.service.js';
import { LeaderboardsService } from '../leaderboards/leaderboards.service.js';
import { OrganizersService } from '../organizers/organizers.service.js';
import { RescoringService } from '../rescoring/rescoring.service.js';
import { SubmissionsService } from '../submissions/submissions.service.js';
import { type Viewer } from './layout.js';
import { localPath, loginPage, registeredPage, registerPage } from './pages/account.page.js';
import { challengePage } from './pages/challenge.page.js';
import { challengesPage } from './pages/challenges.page.js';
import { leaderboardPage } from './pages/leaderboard.page.js';
import { organizePage } from './pages/organize.page.js';
import { mySubmissionsPage, submissionPage } from './pages/submission.page.js';

const SESSION_TOKEN_NAME = 'web session';

const LoginForm = z.object({ token: z.string().trim().min(1, 'paste your token').max(200), next: z.string().max(2000).optional() });
const RegisterForm = z.object({ name: z.string().max(200) });
const JoinForm = z.object({ acceptRules: z.literal('yes', 'tick "I accept the rules and the license" to join').optional() });

/**
 * The web pages: each gathers what the API's services give (with the same access rules,
 * as the viewer) and renders it. Nothing here decides who may see what.
 */
@Injectable()
export class WebService {
  constructor(
    private readonly accounts: AccountsService,
    private readonly challenges: ChallengesService,
    private readonly boards: LeaderboardsService,
    private readonly submissions: SubmissionsService,
    private readonly organizers: OrganizersService,
    private readonly rescoring: RescoringService,
    private readonly tokenChecks: TokenChecks,
  ) {}

  async home(viewer: Viewer): Promise<string> {
    return challengesPage(viewer, await this.challenges.list());
  }

  login(viewer: Viewer, next: unknown): string {
    return loginPage(viewer, localPath(next));
  }

  /** Checks the pasted token and starts a session with a token of its own (7 days); returns where to go. */
  async signIn(request: Request, response: Response, body: unknown): Promise<string> {
    const form = parseInput(LoginForm, body);
    // A pasted token costs a scrypt like one in a header: it spends from the same budget.
    await this.tokenChecks.spend(request, `Bearer ${form.token}`);
    const principal = await this.accounts.authenticate(`Bearer ${form.token}`);
    await this.startSession(principal, request, response);
    return localPath(form.next);
  }

  register(viewer: Viewer): string {
    return registerPage(viewer);
  }

  async signUp(viewer: Viewer, request: Request, response: Response, body: unknown): Promise<string> {
    const { name } = parseInput(RegisterForm, body);
    const created = await this.accounts.register({ name });
    const principal = await this.accounts.authenticate(`Bearer ${created.token}`);
    await this.startSession(principal, request, response);
    return registeredPage({ ...viewer, principal }, created.token);
  }

  /** Ends the session: its token is revoked (when the cookie carried it), the cookie cleared. */
  async signOut(principal: Principal, request: Request, response: Response): Promise<void> {
    if (sessionToken(request) !== undefined && request.headers.authorization === undefined) {
      await this.accounts.revokeToken(principal, principal.tokenId).catch(() => undefined);
    }
    clearSessionCookie(response, request);
  }

  private async startSession(principal: Principal, request: Request, response: Response): Promise<void> {
    const session = await this.accounts.createToken(principal, { name: SESSION_TOKEN_NAME, scopes: [...principal.scopes], expiresInDays: SESSION_DAYS });
    setSessionCookie(response, request, session.token);
  }

  async challenge(viewer: Viewer, slug: string): Promise<string> {
    const access = await this.challenges.access(slug, viewer.principal);
    const [c, baseline] = await Promise.all([
      this.challenges.describe(slug, viewer.principal, access),
      this.submissions.baseline(access.challenge.id, access.version.version),
    ]);
    return challengePage(viewer, c, baseline, randomUUID());
  }

  async join(principal: Principal, slug: string, body: unknown): Promise<void> {
    const form = parseInput(JoinForm, body);
    if (form.acceptRules !== 'yes') {
      throw AppError.unprocessable('rules_not_accepted', 'Tick "I accept the rules and the license" to join', [{ field: 'acceptRules', message: 'must be ticked' }]);
    }
    await this.challenges.join(slug, principal, { acceptRules: true });
  }

  /** The form carries a key made when it was shown: a double click or a resent form makes one submission. */
  async submit(principal: Principal, slug: string, file: UploadedFile | undefined, body: unknown): Promise<string> {
    const key = idempotencyKey((body as Record<string, unknown> | undefined)?.idempotencyKey, 'idempotencyKey');
    const { id } = await this.submissions.submit(principal, slug, file, key);
    return `/c/${slug}/submissions/${id}`;
  }

  async leaderboard(viewer: Viewer, slug: string, phase: unknown): Promise<string> {
    const query = typeof phase === 'string' && phase !== '' ? { phase } : {};
    const [c, { board, history }] = await Promise.all([this.challenges.describe(slug, viewer.principal), this.boards.withHistory(slug, query, viewer.principal)]);
    return leaderboardPage(viewer, c.title, board, history, Boolean(c.you?.organizer));
  }

  async mySubmissions(viewer: Viewer & { principal: Principal }, slug: string): Promise<string> {
    const c = await this.challenges.describe(slug, viewer.principal);
    return mySubmissionsPage(viewer, c.title, slug, await this.submissions.listMine(viewer.principal, slug));
  }

  async submission(viewer: Viewer & { principal: Principal }, slug: string, id: string): Promise<string> {
    const s = await this.submissions.get(viewer.principal, id);
    // One address per submission: under its own challenge.
    if (s.challenge !== slug) throw AppError.notFound(`Submission "${id}" of challenge "${slug}"`);
    const c = await this.challenges.describe(slug, viewer.principal);
    return submissionPage(viewer, c.title, s, Boolean(c.you?.organizer));
  }

  async organize(viewer: Viewer & { principal: Principal }, slug: string): Promise<string> {
    const audit = await this.organizers.challengeAudit(slug, viewer.principal);
    const [c, rescores] = await Promise.all([this.challenges.describe(slug, viewer.principal), this.rescoring.list(viewer.principal, slug)]);
    return organizePage(viewer, c, rescores, audit);
  }

  async closePhase(principal: Principal, slug: string, phase: string): Promise<void> {
    await this.organizers.closePhase(slug, principal, phase);
  }

  async rescore(principal: Principal, slug: string): Promise<void> {
    await this.rescoring.start(principal, slug, {});
  }
}
