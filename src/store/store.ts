import type { TicketStore } from "./ticket-store.js";

/** A user's verdict on an answer, from the buttons under it. */
export type FeedbackValue = "useful" | "not_useful" | "human";

export interface FeedbackRecord {
  readonly platform: string;
  /** The answer's message (post) id on the platform. */
  readonly messageId: string;
  readonly userId: string;
  readonly value: FeedbackValue;
  /** The question asked and the entries cited, so that maintainers can read what went wrong. */
  readonly question?: string;
  readonly citedIds?: readonly string[];
  readonly at: Date;
}

/**
 * The durable state of the assistant (SQLite under the data directory by default). Everything a
 * restart must not forget goes through here.
 *
 * @example if (store.markHandled("mattermost", post.id)) await reply(post);
 */
export interface Store {
  /** True when this platform message was answered already (or deliberately skipped). */
  isHandled(platform: string, messageId: string): boolean;
  /** Records a message as answered (and no longer pending); false when it was already recorded. */
  markHandled(platform: string, messageId: string): boolean;
  /**
   * Records a question being answered, so that a reply that could not be posted is retried after a
   * restart. `payload`: the platform's message as received, for platforms that cannot read it again
   * (Teams pushes each message once).
   */
  addPending(platform: string, conversationId: string, messageId: string, createdAt: number, payload?: string): void;
  /** The pending questions stored with their payload, oldest first. */
  pendingPayloads(platform: string): { messageId: string; createdAt: number; payload: string }[];
  /** How to write to a conversation again (Teams' ConversationReference, as JSON). */
  saveReference(platform: string, conversationId: string, reference: string): void;
  reference(platform: string, conversationId: string): string | undefined;
  /** A card the bot sent (Teams), kept 30 days so that a click can redraw it without its buttons. */
  rememberCard(platform: string, messageId: string, content: string): void;
  card(platform: string, messageId: string): string | undefined;
  isPending(platform: string, messageId: string): boolean;
  /** The creation time of the oldest question of a conversation still waiting for its reply. */
  oldestPending(platform: string, conversationId: string): number | undefined;
  /** The newest message time seen in a conversation (ms since the epoch), for catch-up after a restart. */
  position(platform: string, conversationId: string): number | undefined;
  /** Moves a conversation's position forward (never back). */
  advancePosition(platform: string, conversationId: string, at: number): void;
  /** Every conversation with a position, for catch-up. */
  positions(platform: string): Map<string, number>;
  /** Drops a conversation the bot can no longer read (and its pending questions). */
  forgetConversation(platform: string, conversationId: string): void;
  /** Records feedback; a second click by the same user on the same answer replaces the first. */
  recordFeedback(feedback: FeedbackRecord): void;
  feedbackFor(platform: string, messageId: string): FeedbackRecord[];
  /** A value kept across restarts (e.g. a generated secret); `create` makes it the first time. */
  setting(name: string, create: () => string): string;
  /** Tickets, conversation holds and the delivery outbox. */
  readonly tickets: TicketStore;
  close(): void;
}
