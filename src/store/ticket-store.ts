import type { ConversationRef, ConversationState, Ticket, TicketEvent, TicketStatus } from "../handoff/ticket.js";

/** Who holds a conversation now, and for which ticket. */
export interface ConversationHold {
  readonly state: ConversationState;
  readonly ticketRef?: string;
}

/** A delivery waiting in the outbox: a ticket to create on a system, or a follow-up to it. */
export interface OutboxItem {
  readonly id: number;
  /** The idempotency key: unique, also handed to the system where it takes one. */
  readonly key: string;
  readonly sink: string;
  readonly ref: string;
  readonly kind: "create" | "follow_up";
  readonly payload: unknown;
  readonly attempts: number;
  readonly createdAt: Date;
}

export interface OutboxDraft {
  readonly key: string;
  readonly sink: string;
  readonly ref: string;
  readonly kind: "create" | "follow_up";
  readonly payload?: unknown;
}

/** `heldFor`: the claim was refused because the conversation waits for or is held for that other ticket. */
export type ClaimResult = { readonly ok: true; readonly ticket: Ticket } | { readonly ok: false; readonly ticket: Ticket | undefined; readonly heldFor?: string };

/**
 * Tickets, conversation holds and the outbox, in one store so that a ticket and its deliveries are
 * written in one transaction: an escalation is never recorded without its deliveries, or the reverse.
 */
export interface TicketStore {
  /**
   * Records a new ticket, its first event, the conversation's new state and the deliveries to make;
   * refused (nothing written) when the conversation is already waiting for or held by a person: the
   * hold it found is returned instead.
   */
  open(ticket: Ticket, state: ConversationState, deliveries: readonly OutboxDraft[], claimDeadline?: Date): { opened: true } | { opened: false; hold: ConversationHold };
  get(ref: string): Ticket | undefined;
  byCard(cardId: string): Ticket | undefined;
  /** The ticket a sink created under this id of its own (e.g. a Teams card's message id). */
  byExternalId(sink: string, externalId: string): Ticket | undefined;
  list(filter?: { status?: TicketStatus; limit?: number }): Ticket[];
  events(ref: string): TicketEvent[];
  hold(conversation: ConversationRef): ConversationHold;
  /**
   * The first claim of an open ticket wins; the conversation moves to "human". A claimed ticket whose
   * conversation was given back to the bot can be claimed again (taken back).
   */
  claim(ref: string, assignee: string, deliveries: readonly OutboxDraft[]): ClaimResult;
  /** Gives the conversation back to the bot (the ticket keeps its status and assignee). */
  release(ref: string, actor: string, deliveries: readonly OutboxDraft[]): Ticket | undefined;
  /** Closes the ticket; its conversation, if still held for it, goes back to the bot. */
  resolve(ref: string, actor: string, deliveries: readonly OutboxDraft[]): Ticket | undefined;
  /** Open tickets still waiting for a claim past their deadline, told to nobody yet. */
  overdueClaims(now: Date): Ticket[];
  /** The claim deadline passed: the conversation goes back to the bot, the ticket stays open. */
  claimTimedOut(ref: string, deliveries: readonly OutboxDraft[]): boolean;
  setCard(ref: string, cardId: string): void;
  /** Adds an event and, in the same transaction, the deliveries it causes. */
  record(ref: string, event: TicketEvent, deliveries?: readonly OutboxDraft[]): void;

  /** Outbox: the oldest due item of each (sink, ticket) pair, so that each ticket's deliveries stay in order. */
  due(now: Date, limit: number, sink?: string): OutboxItem[];
  delivered(id: number, externalId?: string): void;
  retryLater(id: number, at: Date, error: string): void;
  /** Gives up on an item and on every later item of its (sink, ticket): they cannot land without it. */
  giveUp(id: number, error: string): number;
  /** The system's own id for a ticket created through a sink (RT ticket number, GLPI id...). */
  externalId(sink: string, ref: string): string | undefined;
  /** The next time, after `after`, that the first pending item of a (sink, ticket) falls due. */
  nextDue(after: Date): Date | undefined;
  /** Tickets whose conversation waits for or is held by a person; with `idleBefore`, held ones silent since then. */
  heldTickets(idleBefore?: Date): string[];
  outboxCounts(): { pending: number; failed: number };
  /**
   * Deletes resolved tickets last changed before `before`, with their events, deliveries and
   * conversation rows: personal data is not kept longer than the service's retention rule.
   */
  purgeResolved(before: Date): { tickets: number; deliveries: number };
  /** A ticket's deliveries and where each stands, for `enso tickets show`. */
  deliveries(ref: string): { sink: string; kind: string; status: string; attempts: number; lastError?: string }[];
}
