import type { Logger } from "pino";
import type { OutboxItem, TicketStore } from "../store/ticket-store.js";
import { SinkError, type TicketSink } from "./ticket-sink.js";

export interface OutboxSettings {
  /** First retry delay; each failure doubles it, up to maxDelayMs, with ±20 % jitter. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Attempts before a transient failure is treated as permanent and reported. */
  readonly maxAttempts: number;
  /**
   * Deliveries running at once per sink (each (sink, ticket) pair stays sequential): a slow
   * helpdesk never holds back the staff card or the mail.
   */
  readonly concurrency: number;
}

export const defaultOutboxSettings: OutboxSettings = { baseDelayMs: 5000, maxDelayMs: 3600_000, maxAttempts: 16, concurrency: 4 };

/** Told when a delivery is given up, so that a person handles the ticket by hand. */
export type DeliveryFailureHandler = (item: OutboxItem, error: string, abandoned: number) => void;

/**
 * Delivers what the ticket store's outbox holds, in order per (sink, ticket), with exponential
 * backoff. Nothing is lost: an item leaves the outbox only once its sink said it landed, or when it
 * is given up (permanent error, or too many attempts), which is reported. Nothing twice: items are
 * keyed, and sinks are idempotent (a create retried after a crash finds the ticket it made).
 */
export class Outbox {
  private readonly sinks = new Map<string, TicketSink>();
  private readonly busy = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private readonly perSink = new Map<string, number>();
  private orphansCheckedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private onFailure: DeliveryFailureHandler = () => {};

  constructor(
    private readonly store: TicketStore,
    sinks: readonly TicketSink[],
    private readonly log: Logger,
    private readonly settings: OutboxSettings = defaultOutboxSettings,
  ) {
    for (const sink of sinks) this.sinks.set(sink.name, sink);
  }

  get sinkNames(): string[] {
    return [...this.sinks.keys()];
  }

  addSink(sink: TicketSink): void {
    this.sinks.set(sink.name, sink);
  }

  setFailureHandler(handler: DeliveryFailureHandler): void {
    this.onFailure = handler;
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** Stops taking new items and waits for those under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Looks for due items now (called after each enqueue, so that a delivery does not wait for a poll). */
  kick(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const limit = this.settings.concurrency;
    const now = new Date();
    // Sink by sink, so that a backlog for one never hides another's due items.
    for (const sink of this.sinks.keys()) {
      const free = limit - (this.perSink.get(sink) ?? 0);
      if (free <= 0) continue;
      for (const item of this.store.due(now, free + this.busy.size, sink)) {
        const group = `${item.sink}\u0000${item.ref}`;
        const active = this.perSink.get(item.sink) ?? 0;
        if (this.busy.has(group) || active >= limit) continue;
        this.busy.add(group);
        this.perSink.set(item.sink, active + 1);
        const run = this.deliver(item).finally(() => {
          this.busy.delete(group);
          this.perSink.set(item.sink, (this.perSink.get(item.sink) ?? 1) - 1);
          this.running.delete(run);
          this.safeKick();
        });
        this.running.add(run);
      }
    }
    // Items for sinks this process does not have (queued by `enso tickets close`, or a sink removed
    // from the configuration) are given up and staff told; looked for every 30 s, not at each kick.
    if (now.getTime() - this.orphansCheckedAt >= 30_000) {
      this.orphansCheckedAt = now.getTime();
      for (const item of this.store.due(now, 20)) if (!this.sinks.has(item.sink)) this.fail(item, `no sink "${item.sink}" is configured any more`);
    }
    // Due items skipped for want of a slot are taken when a delivery ends; the timer is for later ones.
    // The same `now` as the queries above: an item that fell due in between is then not missed.
    this.sleepUntilDue(now);
  }

  /** kick() where an exception would have no one to catch it (timers, promise callbacks). */
  private safeKick(): void {
    try {
      this.kick();
    } catch (error) {
      this.log.error({ err: error }, "the outbox could not read its queue; it tries again in 30 s");
      if (!this.stopped) {
        this.timer = setTimeout(() => this.safeKick(), 30_000);
        this.timer.unref();
      }
    }
  }

  /** Resolves once nothing is due now and nothing is under way (tests, benchmark). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.running.size > 0) await Promise.allSettled([...this.running]);
      else if (!this.stopped && this.store.due(new Date(), 1).length > 0) this.kick();
      else return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private sleepUntilDue(now: Date): void {
    const next = this.store.nextDue(now);
    // Woken at least every 30 s: another process (`enso tickets close`) may have queued something.
    const wait = next ? Math.max(10, Math.min(30_000, next.getTime() - Date.now())) : 30_000;
    this.timer = setTimeout(() => this.safeKick(), wait);
    this.timer.unref();
  }

  private async deliver(item: OutboxItem): Promise<void> {
    try {
      const sink = this.sinks.get(item.sink);
      const ticket = this.store.get(item.ref);
      if (!sink || !ticket) {
        this.fail(item, sink ? `ticket ${item.ref} not found` : `no sink "${item.sink}" is configured any more`);
        return;
      }
      await this.attempt(item, sink, ticket, Date.now());
    } catch (error) {
      // The store itself failed (disk full, database locked): the item stays pending and is retried.
      this.log.error({ err: error, sink: item.sink, ref: item.ref }, "the outbox could not record a delivery; it is retried");
    }
  }

  private async attempt(item: OutboxItem, sink: TicketSink, ticket: NonNullable<ReturnType<TicketStore["get"]>>, started: number): Promise<void> {
    try {
      const externalId = this.store.externalId(item.sink, item.ref);
      const context = { key: item.key, attempts: item.attempts, since: item.createdAt, ...(externalId ? { externalId } : {}) };
      if (item.kind === "create") {
        const result = await sink.create(ticket, context);
        this.store.delivered(item.id, result.externalId);
      } else {
        await sink.followUp(ticket, item.payload, context);
        this.store.delivered(item.id);
      }
      this.log.info({ sink: item.sink, ref: item.ref, kind: item.kind, attempts: item.attempts + 1, ms: Date.now() - started, waitedMs: started - item.createdAt.getTime() }, "ticket delivery done");
    } catch (error) {
      // A helpdesk's answer may quote the requester: the store and staff get it, the logs do not.
      const message = error instanceof Error ? error.message : String(error);
      const full = error instanceof SinkError && error.detail ? `${message}: ${error.detail}` : message;
      const permanent = error instanceof SinkError ? error.permanent : false;
      if (permanent || item.attempts + 1 >= this.settings.maxAttempts) {
        this.fail(item, permanent ? full : `${full} (gave up after ${item.attempts + 1} attempts)`, message);
        return;
      }
      const delay = Math.min(this.settings.maxDelayMs, this.settings.baseDelayMs * 2 ** item.attempts) * (0.8 + Math.random() * 0.4);
      this.store.retryLater(item.id, new Date(Date.now() + delay), full);
      this.log.warn({ sink: item.sink, ref: item.ref, kind: item.kind, attempts: item.attempts + 1, retryInMs: Math.round(delay), error: withoutEmails(message) }, "ticket delivery failed; retrying later");
    }
  }

  private fail(item: OutboxItem, error: string, forLogs = error): void {
    const abandoned = this.store.giveUp(item.id, error);
    this.log.error({ sink: item.sink, ref: item.ref, kind: item.kind, error: withoutEmails(forLogs), abandoned }, "ticket delivery given up: staff are told");
    try {
      this.onFailure(item, error, abandoned);
    } catch (failure) {
      this.log.error({ err: failure }, "could not report a failed delivery");
    }
  }
}

/** Email addresses out of a message bound for the logs. */
export function withoutEmails(text: string): string {
  return text.replace(/[^\s<>"'(),;:]+@[^\s<>"'(),;:]+\.[a-z]{2,}/gi, "[email]");
}
