import { followUpText, ticketSubject, ticketText } from "../render-ticket.js";
import { requestJson, SinkError, type DeliveryContext, type FollowUp, type TicketSink } from "../ticket-sink.js";
import type { Ticket } from "../ticket.js";

export interface RtSinkOptions {
  /** RT's base URL, e.g. https://rt.example.org (REST 2 lives under /REST/2.0). */
  readonly url: string;
  /** An auth token (RT > Settings > Auth Tokens). */
  readonly token: string;
  readonly queue: string;
  readonly timeoutMs?: number;
}

/**
 * Request Tracker 5 through its REST 2 API. Create is idempotent: before creating, it looks for a
 * ticket whose subject holds the reference (TicketSQL), so a create retried after a crash finds the
 * ticket instead of opening a second. Chat follow-ups are comments (staff-only), never correspondence:
 * the researcher already saw them in the chat and must not get them again by email.
 */
export class RtSink implements TicketSink {
  readonly name = "rt";
  private readonly base: string;

  constructor(private readonly options: RtSinkOptions) {
    this.base = `${options.url.replace(/\/+$/, "")}/REST/2.0`;
  }

  private request(path: string, init: RequestInit = {}) {
    return requestJson("Request Tracker", `${this.base}${path}`, {
      ...init,
      headers: { Authorization: `token ${this.options.token}`, "Content-Type": "application/json", Accept: "application/json", ...init.headers },
      ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
    });
  }

  /** The RT id of the ticket whose subject carries this reference, if one exists. */
  async find(ref: string): Promise<string | undefined> {
    const query = encodeURIComponent(`Queue = '${this.options.queue.replaceAll("'", "")}' AND Subject LIKE '${ref}'`);
    const { body } = await this.request(`/tickets?query=${query}&fields=Subject&per_page=5`);
    const items = (body as { items?: { id: number | string }[] } | undefined)?.items ?? [];
    return items.length > 0 ? String(items[0]?.id) : undefined;
  }

  async create(ticket: Ticket): Promise<{ externalId?: string }> {
    const existing = await this.find(ticket.ref);
    if (existing) return { externalId: existing };
    const { body } = await this.request("/ticket", {
      method: "POST",
      body: JSON.stringify({
        Queue: this.options.queue,
        Subject: ticketSubject(ticket),
        ...(ticket.user.email ? { Requestor: ticket.user.email } : {}),
        Content: ticketText(ticket),
        ContentType: "text/plain",
      }),
    });
    const id = (body as { id?: number | string } | undefined)?.id;
    if (id === undefined) throw new SinkError(`Request Tracker created a ticket but did not say its id: ${JSON.stringify(body).slice(0, 200)}`, false);
    return { externalId: String(id) };
  }

  async followUp(ticket: Ticket, payload: unknown, context: DeliveryContext): Promise<void> {
    const id = context.externalId ?? (await this.find(ticket.ref));
    if (!id) throw new SinkError(`no Request Tracker ticket for ${ticket.ref}`, true);
    await this.request(`/ticket/${encodeURIComponent(id)}/comment`, {
      method: "POST",
      body: JSON.stringify({ Content: followUpText(ticket, payload as FollowUp), ContentType: "text/plain" }),
    });
  }
}
