import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import type { Logger } from 'pino';
import { Observable, ReplaySubject } from 'rxjs';
import { DataSource } from 'typeorm';
import { LOGGER } from '../../core/logger/logger.js';
import { SUBMISSION_EVENTS_CHANNEL, SubmissionEvent } from './submission-events.js';

type Listener = (event: SubmissionEvent) => void;

const RECONNECT_MS = 1000;

/**
 * The API's side of the live status: one PostgreSQL connection LISTENs for what workers
 * announce (SubmissionsRepository.announce) and hands each event to the streams watching
 * that submission. It connects when the first stream opens, so a process that serves
 * none (a worker, the CLI) holds no connection.
 */
@Injectable()
export class SubmissionEventsService implements BeforeApplicationShutdown, OnApplicationShutdown {
  /** Emits once the server starts stopping: open streams end then, so the server can close. */
  readonly stopping$ = new ReplaySubject<void>(1);
  private readonly listeners = new Map<string, Set<Listener>>();
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The events of one submission, from now on, until the subscriber unsubscribes. Resolves once listening. */
  async watch(submissionId: string): Promise<Observable<SubmissionEvent>> {
    await this.listen();
    return new Observable<SubmissionEvent>((subscriber) => {
      const listener: Listener = (event) => subscriber.next(event);
      const set = this.listeners.get(submissionId) ?? new Set<Listener>();
      set.add(listener);
      this.listeners.set(submissionId, set);
      return () => {
        set.delete(listener);
        if (set.size === 0) this.listeners.delete(submissionId);
      };
    });
  }

  private listen(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: (this.dataSource.options as { url: string }).url });
    client.on('notification', (message) => {
      if (message.channel !== SUBMISSION_EVENTS_CHANNEL || !message.payload) return;
      const parsed = SubmissionEvent.safeParse(JSON.parse(message.payload));
      if (!parsed.success) return;
      for (const listener of this.listeners.get(parsed.data.submissionId) ?? []) listener(parsed.data);
    });
    client.on('error', (err) => {
      this.logger.warn({ err }, 'live status connection lost; reconnecting');
      if (this.client === client) this.client = null;
      client.end().catch(() => undefined);
      if (!this.closed && this.listeners.size > 0) setTimeout(() => void this.listen().catch(() => undefined), RECONNECT_MS).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${SUBMISSION_EVENTS_CHANNEL}`);
    this.client = client;
  }

  beforeApplicationShutdown(): void {
    this.stopping$.next();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }
}
