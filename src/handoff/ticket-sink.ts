import type { Ticket } from "./ticket.js";

/** Something that happened to a ticket after it was opened, for the systems that hold a copy. */
export interface FollowUp {
  readonly kind: "user_message" | "staff_reply" | "claimed" | "released" | "resolved" | "claim_timeout" | "delivery_failed";
  /** Who: the user's or staff member's name, or "ENSO assistant". */
  readonly author: string;
  readonly text: string;
  readonly at: string;
}

/** What a chat delivery carries: a text for the user, with feedback buttons when a ticket is resolved. */
export interface ChatNote {
  readonly text: string;
  readonly askFeedback?: boolean;
}

/** Where a delivery is in its ticket's history, for systems that thread or deduplicate. */
export interface DeliveryContext {
  /** The outbox idempotency key of this delivery. */
  readonly key: string;
  /** The system's own id of the ticket, from its create delivery. */
  readonly externalId?: string;
  /** Earlier attempts of this delivery (0 the first time): above 0, it may have landed already. */
  readonly attempts?: number;
  /** When the delivery was queued. */
  readonly since?: Date;
}

/**
 * A system that receives tickets: a helpdesk, a mailbox, the staff channel, the user's chat.
 * Both calls must be idempotent: the outbox may call them again for the same key after a crash, and
 * `create` must then find the ticket it made rather than make another.
 */
export interface TicketSink {
  readonly name: string;
  create(ticket: Ticket, context: DeliveryContext): Promise<{ externalId?: string }>;
  followUp(ticket: Ticket, payload: unknown, context: DeliveryContext): Promise<void>;
}

/**
 * A failed delivery. `permanent` when retrying cannot help (refused credentials, a queue that does
 * not exist, a payload the system rejects): the outbox then stops and tells the staff.
 */
export class SinkError extends Error {
  /**
   * @param detail what the system answered (its error body): for the ticket's record and the staff
   *   warning, never for the logs, as it may quote the user.
   */
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown; detail?: string },
  ) {
    super(message, options);
    this.name = "SinkError";
    this.detail = options?.detail;
  }

  readonly detail: string | undefined;
}

/** HTTP statuses worth retrying: timeouts, rate limits, server errors. Any other 4xx is permanent. */
/** A refusal retrying cannot fix: a 4xx other than timeouts, conflicts and rate limits. */
export function isPermanentStatus(status: number | undefined): boolean {
  return status !== undefined && status >= 400 && status < 500 && !isRetryableStatus(status);
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

/**
 * A JSON request to a ticket system, with a timeout; network errors and retryable statuses become
 * transient SinkErrors, other refusals permanent ones. The body of a refusal is kept (shortened) for
 * the staff message.
 */
export async function requestJson(system: string, url: string, init: RequestInit & { timeoutMs?: number }): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 15_000) });
  } catch (error) {
    throw new SinkError(`${system} unreachable: ${(error as Error).message}`, false, { cause: error });
  }
  const text = await response.text().catch(() => "");
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: kept as text.
  }
  if (!response.ok) throw new SinkError(`${system} answered HTTP ${response.status}`, !isRetryableStatus(response.status), { detail: text.slice(0, 300) });
  return { status: response.status, body };
}
