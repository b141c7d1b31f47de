import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { SqliteTicketStore, ticketMigration } from "./sqlite-ticket-store.js";
import type { FeedbackRecord, FeedbackValue, Store } from "./store.js";

/**
 * Schema migrations, applied in order; SQLite's user_version says how many ran. Append, never
 * edit: a deployed database has run the earlier ones.
 */
const migrations = [
  `CREATE TABLE handled_messages (
     platform TEXT NOT NULL, message_id TEXT NOT NULL, handled_at INTEGER NOT NULL,
     PRIMARY KEY (platform, message_id)
   );
   CREATE INDEX handled_messages_at ON handled_messages (handled_at);
   CREATE TABLE positions (
     platform TEXT NOT NULL, conversation_id TEXT NOT NULL, at INTEGER NOT NULL,
     PRIMARY KEY (platform, conversation_id)
   );
   CREATE TABLE feedback (
     platform TEXT NOT NULL, message_id TEXT NOT NULL, user_id TEXT NOT NULL, value TEXT NOT NULL,
     question TEXT, cited_ids TEXT, at INTEGER NOT NULL,
     PRIMARY KEY (platform, message_id, user_id)
   );
   CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  `CREATE TABLE pending_messages (
     platform TEXT NOT NULL, message_id TEXT NOT NULL, conversation_id TEXT NOT NULL, created_at INTEGER NOT NULL,
     PRIMARY KEY (platform, message_id)
   );
   CREATE INDEX pending_messages_conversation ON pending_messages (platform, conversation_id, created_at);`,
  ticketMigration,
  // Teams: where to write to each conversation again (a restart, a relay from staff), the questions
  // acknowledged but not answered yet (replayed after a restart), and tickets found by their Teams card.
  `CREATE TABLE conversation_references (
     platform TEXT NOT NULL, conversation_id TEXT NOT NULL, reference TEXT NOT NULL, updated_at INTEGER NOT NULL,
     PRIMARY KEY (platform, conversation_id)
   );
   CREATE TABLE sent_cards (
     platform TEXT NOT NULL, message_id TEXT NOT NULL, content TEXT NOT NULL, sent_at INTEGER NOT NULL,
     PRIMARY KEY (platform, message_id)
   );
   CREATE INDEX sent_cards_at ON sent_cards (sent_at);
   ALTER TABLE pending_messages ADD COLUMN payload TEXT;
   CREATE INDEX outbox_external ON outbox (sink, external_id);`,
];

/** How long handled-message ids are kept: far longer than any catch-up window. */
const HANDLED_RETENTION_MS = 30 * 24 * 3600 * 1000;

/** The default Store: one SQLite file (WAL mode) under the data directory; ":memory:" for tests. */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly statements;
  readonly tickets: SqliteTicketStore;

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    // WAL with NORMAL: a commit survives a crash of the process, not necessarily a power cut, and
    // costs no fsync; an fsync per answered message would stall every conversation.
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    this.migrate();
    this.db.prepare("DELETE FROM handled_messages WHERE handled_at < ?").run(Date.now() - HANDLED_RETENTION_MS);
    this.db.prepare("DELETE FROM sent_cards WHERE sent_at < ?").run(Date.now() - HANDLED_RETENTION_MS);
    this.statements = {
      isHandled: this.db.prepare("SELECT 1 FROM handled_messages WHERE platform = ? AND message_id = ?"),
      markHandled: this.db.prepare("INSERT OR IGNORE INTO handled_messages (platform, message_id, handled_at) VALUES (?, ?, ?)"),
      dropPending: this.db.prepare("DELETE FROM pending_messages WHERE platform = ? AND message_id = ?"),
      addPending: this.db.prepare("INSERT OR IGNORE INTO pending_messages (platform, message_id, conversation_id, created_at, payload) VALUES (?, ?, ?, ?, ?)"),
      pendingPayloads: this.db.prepare("SELECT message_id, created_at, payload FROM pending_messages WHERE platform = ? AND payload IS NOT NULL ORDER BY created_at"),
      saveReference: this.db.prepare("INSERT INTO conversation_references (platform, conversation_id, reference, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET reference = excluded.reference, updated_at = excluded.updated_at"),
      rememberCard: this.db.prepare("INSERT INTO sent_cards (platform, message_id, content, sent_at) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET content = excluded.content"),
      card: this.db.prepare("SELECT content FROM sent_cards WHERE platform = ? AND message_id = ?"),
      reference: this.db.prepare("SELECT reference FROM conversation_references WHERE platform = ? AND conversation_id = ?"),
      isPending: this.db.prepare("SELECT 1 FROM pending_messages WHERE platform = ? AND message_id = ?"),
      oldestPending: this.db.prepare("SELECT min(created_at) AS at FROM pending_messages WHERE platform = ? AND conversation_id = ?"),
      forgetPosition: this.db.prepare("DELETE FROM positions WHERE platform = ? AND conversation_id = ?"),
      forgetPending: this.db.prepare("DELETE FROM pending_messages WHERE platform = ? AND conversation_id = ?"),
      position: this.db.prepare("SELECT at FROM positions WHERE platform = ? AND conversation_id = ?"),
      advance: this.db.prepare("INSERT INTO positions (platform, conversation_id, at) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET at = max(at, excluded.at)"),
      positions: this.db.prepare("SELECT conversation_id, at FROM positions WHERE platform = ?"),
      feedback: this.db.prepare(
        "INSERT INTO feedback (platform, message_id, user_id, value, question, cited_ids, at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value, at = excluded.at, question = coalesce(excluded.question, question), cited_ids = coalesce(excluded.cited_ids, cited_ids)",
      ),
      feedbackFor: this.db.prepare("SELECT * FROM feedback WHERE platform = ? AND message_id = ? ORDER BY at"),
      getSetting: this.db.prepare("SELECT value FROM settings WHERE name = ?"),
      setSetting: this.db.prepare("INSERT OR IGNORE INTO settings (name, value) VALUES (?, ?)"),
    };
    this.tickets = new SqliteTicketStore(this.db);
  }

  private migrate(): void {
    const version = this.db.pragma("user_version", { simple: true }) as number;
    for (let i = version; i < migrations.length; i++) {
      this.db.transaction(() => {
        this.db.exec(migrations[i] ?? "");
        this.db.pragma(`user_version = ${i + 1}`);
      })();
    }
  }

  isHandled(platform: string, messageId: string): boolean {
    return this.statements.isHandled.get(platform, messageId) !== undefined;
  }

  markHandled(platform: string, messageId: string): boolean {
    return this.db.transaction(() => {
      this.statements.dropPending.run(platform, messageId);
      return this.statements.markHandled.run(platform, messageId, Date.now()).changes > 0;
    })();
  }

  addPending(platform: string, conversationId: string, messageId: string, createdAt: number, payload?: string): void {
    this.statements.addPending.run(platform, messageId, conversationId, createdAt, payload ?? null);
  }

  pendingPayloads(platform: string): { messageId: string; createdAt: number; payload: string }[] {
    const rows = this.statements.pendingPayloads.all(platform) as { message_id: string; created_at: number; payload: string }[];
    return rows.map((row) => ({ messageId: row.message_id, createdAt: row.created_at, payload: row.payload }));
  }

  saveReference(platform: string, conversationId: string, reference: string): void {
    this.statements.saveReference.run(platform, conversationId, reference, Date.now());
  }

  rememberCard(platform: string, messageId: string, content: string): void {
    this.statements.rememberCard.run(platform, messageId, content, Date.now());
  }

  card(platform: string, messageId: string): string | undefined {
    return (this.statements.card.get(platform, messageId) as { content: string } | undefined)?.content;
  }

  reference(platform: string, conversationId: string): string | undefined {
    return (this.statements.reference.get(platform, conversationId) as { reference: string } | undefined)?.reference;
  }

  isPending(platform: string, messageId: string): boolean {
    return this.statements.isPending.get(platform, messageId) !== undefined;
  }

  oldestPending(platform: string, conversationId: string): number | undefined {
    return (this.statements.oldestPending.get(platform, conversationId) as { at: number | null }).at ?? undefined;
  }

  forgetConversation(platform: string, conversationId: string): void {
    this.db.transaction(() => {
      this.statements.forgetPosition.run(platform, conversationId);
      this.statements.forgetPending.run(platform, conversationId);
    })();
  }

  position(platform: string, conversationId: string): number | undefined {
    return (this.statements.position.get(platform, conversationId) as { at: number } | undefined)?.at;
  }

  advancePosition(platform: string, conversationId: string, at: number): void {
    this.statements.advance.run(platform, conversationId, at);
  }

  positions(platform: string): Map<string, number> {
    const rows = this.statements.positions.all(platform) as { conversation_id: string; at: number }[];
    return new Map(rows.map((row) => [row.conversation_id, row.at]));
  }

  recordFeedback(feedback: FeedbackRecord): void {
    this.statements.feedback.run(feedback.platform, feedback.messageId, feedback.userId, feedback.value, feedback.question ?? null, feedback.citedIds ? JSON.stringify(feedback.citedIds) : null, feedback.at.getTime());
  }

  feedbackFor(platform: string, messageId: string): FeedbackRecord[] {
    const rows = this.statements.feedbackFor.all(platform, messageId) as { platform: string; message_id: string; user_id: string; value: FeedbackValue; question: string | null; cited_ids: string | null; at: number }[];
    return rows.map((row) => ({
      platform: row.platform,
      messageId: row.message_id,
      userId: row.user_id,
      value: row.value,
      ...(row.question === null ? {} : { question: row.question }),
      ...(row.cited_ids === null ? {} : { citedIds: JSON.parse(row.cited_ids) as string[] }),
      at: new Date(row.at),
    }));
  }

  setting(name: string, create: () => string): string {
    const existing = this.statements.getSetting.get(name) as { value: string } | undefined;
    if (existing) return existing.value;
    this.statements.setSetting.run(name, create());
    return (this.statements.getSetting.get(name) as { value: string }).value;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
