import type Database from "better-sqlite3";
import type { ConversationRef, ConversationState, Ticket, TicketEvent, TicketStatus } from "../handoff/ticket.js";
import type { ClaimResult, ConversationHold, OutboxDraft, OutboxItem, TicketStore } from "./ticket-store.js";

/** The tables, appended to SqliteStore's migrations. */
export const ticketMigration = `
  CREATE TABLE tickets (
    ref TEXT PRIMARY KEY, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    user_id TEXT NOT NULL, user_name TEXT NOT NULL, user_email TEXT,
    platform TEXT NOT NULL, conversation_id TEXT NOT NULL, thread_id TEXT NOT NULL,
    site TEXT NOT NULL, reason TEXT NOT NULL, language TEXT NOT NULL, question TEXT NOT NULL,
    transcript TEXT NOT NULL, passages TEXT NOT NULL,
    status TEXT NOT NULL, assignee TEXT, card_id TEXT,
    claim_deadline INTEGER, claim_timeout_told INTEGER NOT NULL DEFAULT 0,
    chat_route INTEGER NOT NULL DEFAULT 1
  );
  CREATE INDEX tickets_status ON tickets (status, created_at);
  CREATE INDEX tickets_card ON tickets (card_id);
  CREATE TABLE ticket_events (
    id INTEGER PRIMARY KEY, ref TEXT NOT NULL REFERENCES tickets (ref),
    at INTEGER NOT NULL, actor TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT
  );
  CREATE INDEX ticket_events_ref ON ticket_events (ref, id);
  CREATE TABLE conversations (
    platform TEXT NOT NULL, conversation_id TEXT NOT NULL, thread_id TEXT NOT NULL,
    state TEXT NOT NULL, ticket_ref TEXT, updated_at INTEGER NOT NULL,
    PRIMARY KEY (platform, conversation_id, thread_id)
  );
  CREATE INDEX conversations_held ON conversations (state, updated_at);
  CREATE INDEX conversations_ticket ON conversations (ticket_ref);
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, sink TEXT NOT NULL, ref TEXT NOT NULL,
    kind TEXT NOT NULL, payload TEXT, status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, last_error TEXT,
    external_id TEXT, created_at INTEGER NOT NULL, done_at INTEGER
  );
  CREATE INDEX outbox_pending ON outbox (status, sink, ref, id);`;

/** An outbox row (alias o) that is the oldest pending one of its (sink, ticket): deliveries keep their order. */
const FIRST_OF_ITS_TICKET = "id = (SELECT min(id) FROM outbox p WHERE p.status = 'pending' AND p.sink = o.sink AND p.ref = o.ref)";

interface TicketRow {
  ref: string;
  created_at: number;
  updated_at: number;
  user_id: string;
  user_name: string;
  user_email: string | null;
  platform: string;
  conversation_id: string;
  thread_id: string;
  site: string;
  reason: Ticket["reason"];
  language: Ticket["language"];
  question: string;
  transcript: string;
  passages: string;
  status: TicketStatus;
  assignee: string | null;
  card_id: string | null;
  chat_route: number;
}

function toTicket(row: TicketRow): Ticket {
  return {
    ref: row.ref,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    user: { id: row.user_id, name: row.user_name, ...(row.user_email ? { email: row.user_email } : {}) },
    conversation: { platform: row.platform, conversationId: row.conversation_id, threadId: row.thread_id },
    site: row.site,
    reason: row.reason,
    language: row.language,
    question: row.question,
    transcript: JSON.parse(row.transcript) as Ticket["transcript"],
    passages: JSON.parse(row.passages) as Ticket["passages"],
    status: row.status,
    ...(row.assignee ? { assignee: row.assignee } : {}),
    ...(row.card_id ? { cardId: row.card_id } : {}),
    chatRoute: row.chat_route === 1,
  };
}

/** TicketStore on the SqliteStore's database (same file, same transactions). */
export class SqliteTicketStore implements TicketStore {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insertTicket: p(`INSERT INTO tickets (ref, created_at, updated_at, user_id, user_name, user_email, platform, conversation_id, thread_id, site, reason, language, question, transcript, passages, status, claim_deadline, chat_route)
                       VALUES (@ref, @created_at, @created_at, @user_id, @user_name, @user_email, @platform, @conversation_id, @thread_id, @site, @reason, @language, @question, @transcript, @passages, 'open', @claim_deadline, @chat_route)`),
      get: p("SELECT * FROM tickets WHERE ref = ?"),
      byCard: p("SELECT * FROM tickets WHERE card_id = ?"),
      byExternalId: p("SELECT t.* FROM tickets t JOIN outbox o ON o.ref = t.ref WHERE o.sink = ? AND o.external_id = ? AND o.kind = 'create'"),
      list: p("SELECT * FROM tickets WHERE (@status IS NULL OR status = @status) ORDER BY created_at DESC LIMIT @limit"),
      events: p("SELECT * FROM ticket_events WHERE ref = ? ORDER BY id"),
      event: p("INSERT INTO ticket_events (ref, at, actor, kind, detail) VALUES (?, ?, ?, ?, ?)"),
      hold: p("SELECT state, ticket_ref FROM conversations WHERE platform = ? AND conversation_id = ? AND thread_id = ?"),
      setHold: p("INSERT INTO conversations (platform, conversation_id, thread_id, state, ticket_ref, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET state = excluded.state, ticket_ref = excluded.ticket_ref, updated_at = excluded.updated_at"),
      claim: p("UPDATE tickets SET status = 'claimed', assignee = ?, updated_at = ? WHERE ref = ? AND (status = 'open' OR (status = 'claimed' AND ?))"),
      resolve: p("UPDATE tickets SET status = 'resolved', updated_at = ? WHERE ref = ? AND status != 'resolved'"),
      touch: p("UPDATE tickets SET updated_at = ? WHERE ref = ?"),
      overdue: p("SELECT * FROM tickets WHERE status = 'open' AND claim_deadline IS NOT NULL AND claim_deadline <= ? AND claim_timeout_told = 0 ORDER BY created_at"),
      timedOut: p("UPDATE tickets SET claim_timeout_told = 1, updated_at = ? WHERE ref = ? AND status = 'open' AND claim_timeout_told = 0"),
      setCard: p("UPDATE tickets SET card_id = ? WHERE ref = ?"),
      enqueue: p("INSERT OR IGNORE INTO outbox (key, sink, ref, kind, payload, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
      due: p(`SELECT * FROM outbox o WHERE status = 'pending' AND next_attempt_at <= ? AND ${FIRST_OF_ITS_TICKET} ORDER BY next_attempt_at, id LIMIT ?`),
      delivered: p("UPDATE outbox SET status = 'delivered', external_id = ?, attempts = attempts + 1, done_at = ?, last_error = NULL WHERE id = ?"),
      retry: p("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?"),
      item: p("SELECT * FROM outbox WHERE id = ?"),
      giveUp: p("UPDATE outbox SET status = 'failed', attempts = attempts + (id = @id), last_error = @error, done_at = @now WHERE status = 'pending' AND sink = @sink AND ref = @ref AND id >= @id"),
      externalId: p("SELECT external_id FROM outbox WHERE sink = ? AND ref = ? AND kind = 'create' AND status = 'delivered'"),
      nextDue: p(`SELECT min(next_attempt_at) AS at FROM outbox o WHERE status = 'pending' AND next_attempt_at > ? AND ${FIRST_OF_ITS_TICKET}`),
      dueFor: p(`SELECT * FROM outbox o WHERE status = 'pending' AND sink = ? AND next_attempt_at <= ? AND ${FIRST_OF_ITS_TICKET} ORDER BY next_attempt_at, id LIMIT ?`),
      touchHold: p("UPDATE conversations SET updated_at = ? WHERE ticket_ref = ? AND state != 'bot'"),
      idleHolds: p("SELECT ticket_ref FROM conversations WHERE state = 'human' AND updated_at < ? AND ticket_ref IS NOT NULL"),
      allHolds: p("SELECT ticket_ref FROM conversations WHERE state != 'bot' AND ticket_ref IS NOT NULL"),
      deliveries: p("SELECT sink, kind, status, attempts, last_error FROM outbox WHERE ref = ? ORDER BY id"),
      counts: p("SELECT status, count(*) AS n FROM outbox WHERE status IN ('pending', 'failed') GROUP BY status"),
    };
  }

  private enqueue(deliveries: readonly OutboxDraft[], now: number): void {
    for (const d of deliveries) this.s.enqueue.run(d.key, d.sink, d.ref, d.kind, d.payload === undefined ? null : JSON.stringify(d.payload), now, now);
  }

  private setHold(conversation: ConversationRef, state: ConversationState, ref: string | null, now: number): void {
    this.s.setHold.run(conversation.platform, conversation.conversationId, conversation.threadId, state, ref, now);
  }

  open(ticket: Ticket, state: ConversationState, deliveries: readonly OutboxDraft[], claimDeadline?: Date): { opened: true } | { opened: false; hold: ConversationHold } {
    const now = ticket.createdAt.getTime();
    return this.db.transaction((): { opened: true } | { opened: false; hold: ConversationHold } => {
      const hold = ticket.chatRoute ? this.hold(ticket.conversation) : ({ state: "bot" } as const);
      if (hold.state !== "bot") return { opened: false, hold };
      this.s.insertTicket.run({
        ref: ticket.ref,
        created_at: now,
        user_id: ticket.user.id,
        user_name: ticket.user.name,
        user_email: ticket.user.email ?? null,
        platform: ticket.conversation.platform,
        conversation_id: ticket.conversation.conversationId,
        thread_id: ticket.conversation.threadId,
        site: ticket.site,
        reason: ticket.reason,
        language: ticket.language,
        question: ticket.question,
        transcript: JSON.stringify(ticket.transcript),
        passages: JSON.stringify(ticket.passages),
        claim_deadline: state === "waiting_human" && claimDeadline ? claimDeadline.getTime() : null,
        chat_route: ticket.chatRoute ? 1 : 0,
      });
      this.s.event.run(ticket.ref, now, "bot", "opened", ticket.reason);
      // Without a chat route there is no conversation to hold.
      if (ticket.chatRoute) this.setHold(ticket.conversation, state, ticket.ref, now);
      this.enqueue(deliveries, now);
      return { opened: true };
    })();
  }

  get(ref: string): Ticket | undefined {
    const row = this.s.get.get(ref) as TicketRow | undefined;
    return row ? toTicket(row) : undefined;
  }

  byExternalId(sink: string, externalId: string): Ticket | undefined {
    const row = this.s.byExternalId.get(sink, externalId) as TicketRow | undefined;
    return row ? toTicket(row) : undefined;
  }

  byCard(cardId: string): Ticket | undefined {
    const row = this.s.byCard.get(cardId) as TicketRow | undefined;
    return row ? toTicket(row) : undefined;
  }

  list(filter: { status?: TicketStatus; limit?: number } = {}): Ticket[] {
    return (this.s.list.all({ status: filter.status ?? null, limit: filter.limit ?? 50 }) as TicketRow[]).map(toTicket);
  }

  events(ref: string): TicketEvent[] {
    const rows = this.s.events.all(ref) as { at: number; actor: string; kind: TicketEvent["kind"]; detail: string | null }[];
    return rows.map((row) => ({ at: new Date(row.at), actor: row.actor, kind: row.kind, ...(row.detail === null ? {} : { detail: row.detail }) }));
  }

  hold(conversation: ConversationRef): ConversationHold {
    const row = this.s.hold.get(conversation.platform, conversation.conversationId, conversation.threadId) as { state: ConversationState; ticket_ref: string | null } | undefined;
    return row ? { state: row.state, ...(row.ticket_ref ? { ticketRef: row.ticket_ref } : {}) } : { state: "bot" };
  }

  claim(ref: string, assignee: string, deliveries: readonly OutboxDraft[]): ClaimResult {
    return this.db.transaction((): ClaimResult => {
      const now = Date.now();
      const before = this.get(ref);
      if (!before) return { ok: false, ticket: undefined };
      const held = this.hold(before.conversation);
      // The conversation waits for or is held by a person for another ticket: not this one's to take.
      if (before.chatRoute && held.state !== "bot" && held.ticketRef !== ref) return { ok: false, ticket: before, heldFor: held.ticketRef ?? "" };
      // Claimed, but its conversation given back to the bot: it may be taken again.
      const released = held.ticketRef !== ref || held.state !== "human";
      if (this.s.claim.run(assignee, now, ref, released ? 1 : 0).changes === 0) return { ok: false, ticket: before };
      const ticket = this.get(ref) as Ticket;
      this.s.event.run(ref, now, assignee, "claimed", null);
      if (ticket.chatRoute) this.setHold(ticket.conversation, "human", ref, now);
      this.enqueue(deliveries, now);
      return { ok: true, ticket };
    })();
  }

  release(ref: string, actor: string, deliveries: readonly OutboxDraft[]): Ticket | undefined {
    return this.db.transaction(() => {
      const ticket = this.get(ref);
      if (!ticket) return undefined;
      const hold = this.hold(ticket.conversation);
      if (hold.ticketRef !== ref || hold.state === "bot") return undefined;
      const now = Date.now();
      this.setHold(ticket.conversation, "bot", null, now);
      this.s.event.run(ref, now, actor, "released", null);
      this.s.touch.run(now, ref);
      this.enqueue(deliveries, now);
      return this.get(ref);
    })();
  }

  resolve(ref: string, actor: string, deliveries: readonly OutboxDraft[]): Ticket | undefined {
    return this.db.transaction(() => {
      const now = Date.now();
      if (this.s.resolve.run(now, ref).changes === 0) return undefined;
      const ticket = this.get(ref) as Ticket;
      if (this.hold(ticket.conversation).ticketRef === ref) this.setHold(ticket.conversation, "bot", null, now);
      this.s.event.run(ref, now, actor, "resolved", null);
      this.enqueue(deliveries, now);
      return ticket;
    })();
  }

  overdueClaims(now: Date): Ticket[] {
    return (this.s.overdue.all(now.getTime()) as TicketRow[]).map(toTicket);
  }

  claimTimedOut(ref: string, deliveries: readonly OutboxDraft[]): boolean {
    return this.db.transaction(() => {
      const now = Date.now();
      if (this.s.timedOut.run(now, ref).changes === 0) return false;
      const ticket = this.get(ref) as Ticket;
      const hold = this.hold(ticket.conversation);
      if (hold.ticketRef === ref && hold.state === "waiting_human") this.setHold(ticket.conversation, "bot", null, now);
      this.s.event.run(ref, now, "bot", "claim_timeout", null);
      this.enqueue(deliveries, now);
      return true;
    })();
  }

  setCard(ref: string, cardId: string): void {
    this.s.setCard.run(cardId, ref);
  }

  record(ref: string, event: TicketEvent, deliveries: readonly OutboxDraft[] = []): void {
    this.db.transaction(() => {
      this.s.event.run(ref, event.at.getTime(), event.actor, event.kind, event.detail ?? null);
      this.s.touch.run(event.at.getTime(), ref);
      // A message either way keeps a held conversation alive (see heldTickets).
      if (event.kind === "user_message" || event.kind === "staff_reply") this.s.touchHold.run(event.at.getTime(), ref);
      this.enqueue(deliveries, event.at.getTime());
    })();
  }

  due(now: Date, limit: number, sink?: string): OutboxItem[] {
    const rows = (sink === undefined ? this.s.due.all(now.getTime(), limit) : this.s.dueFor.all(sink, now.getTime(), limit)) as { id: number; key: string; sink: string; ref: string; kind: OutboxItem["kind"]; payload: string | null; attempts: number; created_at: number }[];
    return rows.map((row) => ({ id: row.id, key: row.key, sink: row.sink, ref: row.ref, kind: row.kind, payload: row.payload === null ? undefined : (JSON.parse(row.payload) as unknown), attempts: row.attempts, createdAt: new Date(row.created_at) }));
  }

  delivered(id: number, externalId?: string): void {
    this.s.delivered.run(externalId ?? null, Date.now(), id);
  }

  retryLater(id: number, at: Date, error: string): void {
    this.s.retry.run(at.getTime(), error.slice(0, 2000), id);
  }

  giveUp(id: number, error: string): number {
    const item = this.s.item.get(id) as { sink: string; ref: string } | undefined;
    if (!item) return 0;
    return this.s.giveUp.run({ id, error: error.slice(0, 2000), now: Date.now(), sink: item.sink, ref: item.ref }).changes;
  }

  externalId(sink: string, ref: string): string | undefined {
    return (this.s.externalId.get(sink, ref) as { external_id: string | null } | undefined)?.external_id ?? undefined;
  }

  nextDue(after: Date): Date | undefined {
    const at = (this.s.nextDue.get(after.getTime()) as { at: number | null }).at;
    return at === null ? undefined : new Date(at);
  }

  deliveries(ref: string): { sink: string; kind: string; status: string; attempts: number; lastError?: string }[] {
    const rows = this.s.deliveries.all(ref) as { sink: string; kind: string; status: string; attempts: number; last_error: string | null }[];
    return rows.map((row) => ({ sink: row.sink, kind: row.kind, status: row.status, attempts: row.attempts, ...(row.last_error ? { lastError: row.last_error } : {}) }));
  }

  outboxCounts(): { pending: number; failed: number } {
    const rows = this.s.counts.all() as { status: string; n: number }[];
    return { pending: rows.find((r) => r.status === "pending")?.n ?? 0, failed: rows.find((r) => r.status === "failed")?.n ?? 0 };
  }

  purgeResolved(before: Date): { tickets: number; deliveries: number } {
    return this.db.transaction(() => {
      // A ticket with a delivery still pending (a notice to the user) is kept whole until it is done.
      const refs = (
        this.db.prepare("SELECT ref FROM tickets t WHERE status = 'resolved' AND updated_at < ? AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.ref = t.ref AND o.status = 'pending')").all(before.getTime()) as { ref: string }[]
      ).map((r) => r.ref);
      let deliveries = 0;
      for (const ref of refs) {
        this.db.prepare("DELETE FROM ticket_events WHERE ref = ?").run(ref);
        deliveries += this.db.prepare("DELETE FROM outbox WHERE ref = ?").run(ref).changes;
        // A conversation still pointing at it goes back to the bot rather than stay held by nothing.
        this.db.prepare("DELETE FROM conversations WHERE ticket_ref = ?").run(ref);
        this.db.prepare("DELETE FROM tickets WHERE ref = ?").run(ref);
      }
      return { tickets: refs.length, deliveries };
    })();
  }

  heldTickets(idleBefore?: Date): string[] {
    const rows = (idleBefore ? this.s.idleHolds.all(idleBefore.getTime()) : this.s.allHolds.all()) as { ticket_ref: string }[];
    return rows.map((row) => row.ticket_ref);
  }
}
