import { randomInt } from "node:crypto";
import type { Language } from "../knowledge/detect-language.js";

/** Why a conversation was handed to a person (the answer reasons that open a ticket). */
export type TicketReason = "low_confidence" | "out_of_scope" | "user_request" | "provider_error";
export const TICKET_REASONS: readonly TicketReason[] = ["low_confidence", "out_of_scope", "user_request", "provider_error"];

export type TicketStatus = "open" | "claimed" | "resolved";

/** Who holds a conversation: the bot answers, a ticket waits for a person, or a person has it. */
export type ConversationState = "bot" | "waiting_human" | "human";

/** Where the user is, enough to write to them again on their platform. */
export interface ConversationRef {
  readonly platform: string;
  readonly conversationId: string;
  /** The thread the question was asked in, if any ("" for none). */
  readonly threadId: string;
}

export interface TicketUser {
  readonly id: string;
  readonly name: string;
  readonly email?: string;
}

export interface TicketPassage {
  readonly id: string;
  readonly title: string;
  readonly source: string;
  readonly url?: string;
  readonly bm25: number;
  readonly vector: number;
  readonly coverage: number;
}

export interface TranscriptLine {
  readonly role: "user" | "assistant" | "staff";
  readonly text: string;
  /** The staff member's name, for staff lines. */
  readonly author?: string;
  readonly at?: string;
}

export interface TicketEvent {
  readonly at: Date;
  /** "bot", "cli", or a staff member (platform user id and name). */
  readonly actor: string;
  readonly kind: "opened" | "claimed" | "released" | "resolved" | "claim_timeout" | "user_message" | "staff_reply" | "delivered" | "delivery_failed" | "card_posted";
  readonly detail?: string;
}

export interface Ticket {
  /** ENSO-YYYYMMDD-XXXXX: unlike "[queue #123]", no helpdesk mistakes it for one of its own. */
  readonly ref: string;
  readonly createdAt: Date;
  readonly user: TicketUser;
  readonly conversation: ConversationRef;
  /** The deployment that opened it (ENSO_SITE), for services that receive tickets from several. */
  readonly site: string;
  readonly reason: TicketReason;
  readonly language: Language;
  readonly question: string;
  /** The last turns before the escalation, oldest first. */
  readonly transcript: readonly TranscriptLine[];
  /** The passages retrieved for the question, with each retriever's own score. */
  readonly passages: readonly TicketPassage[];
  readonly status: TicketStatus;
  /** The staff member who claimed it: "platform user id|display name". */
  readonly assignee?: string;
  /** The staff channel's card (its post id), once posted. */
  readonly cardId?: string;
  /**
   * False when the user cannot be written to again in chat (a slash command's ephemeral reply): the
   * ticket is answered by email, and nobody takes a conversation over.
   */
  readonly chatRoute: boolean;
  readonly updatedAt: Date;
}

/** Crockford's base 32 without I, L, O, U: nothing to misread when a reference is dictated. */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * A new ticket reference, e.g. ENSO-20261123-7K3QX: the date helps people talking about it, five
 * random characters (33 million a day) keep it unique. Never "[x #123]", which helpdesks (RT, GLPI,
 * OTRS) read as a reply to their own ticket 123.
 */
export function newTicketReference(now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replaceAll("-", "");
  let random = "";
  for (let i = 0; i < 5; i++) random += ALPHABET[randomInt(ALPHABET.length)];
  return `ENSO-${day}-${random}`;
}

export const TICKET_REFERENCE = /^ENSO-\d{8}-[0-9A-HJKMNP-TV-Z]{5}$/;

/** The staff member's name from an assignee record. */
export function assigneeName(assignee: string | undefined): string {
  if (!assignee) return "";
  const bar = assignee.indexOf("|");
  return bar < 0 ? assignee : assignee.slice(bar + 1);
}

export function assigneeId(assignee: string | undefined): string {
  if (!assignee) return "";
  const bar = assignee.indexOf("|");
  return bar < 0 ? assignee : assignee.slice(0, bar);
}
