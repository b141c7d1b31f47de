import { createHmac } from "node:crypto";
import { requestJson, type DeliveryContext, type TicketSink } from "../ticket-sink.js";
import type { Ticket } from "../ticket.js";

export interface WebhookSinkOptions {
  readonly url: string;
  /** The shared secret of the HMAC-SHA256 signature. */
  readonly secret: string;
  readonly timeoutMs?: number;
}

/** The signature a receiver recomputes: HMAC-SHA256 of "timestamp.body", hex, as `sha256=...`. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/**
 * A JSON POST per ticket event, for systems the assistant does not know (a form back end, an
 * automation platform). Signed: X-ENSO-Timestamp and X-ENSO-Signature (HMAC-SHA256 of
 * "timestamp.body" with the shared secret), so a receiver can reject forged or replayed calls; keyed:
 * Idempotency-Key is the same for every retry of one event, for the receiver to deduplicate.
 */
export class WebhookSink implements TicketSink {
  readonly name = "webhook";

  constructor(private readonly options: WebhookSinkOptions) {}

  async create(ticket: Ticket, context: DeliveryContext): Promise<{ externalId?: string }> {
    await this.post({ event: "ticket.created", ticket: toJson(ticket) }, context.key);
    return {};
  }

  async followUp(ticket: Ticket, payload: unknown, context: DeliveryContext): Promise<void> {
    await this.post({ event: "ticket.follow_up", ticket: { ref: ticket.ref, status: ticket.status }, followUp: payload }, context.key);
  }

  private async post(event: Record<string, unknown>, key: string): Promise<void> {
    const body = JSON.stringify({ ...event, idempotencyKey: key });
    const timestamp = String(Math.floor(Date.now() / 1000));
    await requestJson("webhook", this.options.url, {
      method: "POST",
      body,
      headers: { "Content-Type": "application/json", "Idempotency-Key": key, "X-ENSO-Timestamp": timestamp, "X-ENSO-Signature": webhookSignature(this.options.secret, timestamp, body) },
      ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
    });
  }
}

function toJson(ticket: Ticket): Record<string, unknown> {
  return { ...ticket, createdAt: ticket.createdAt.toISOString(), updatedAt: ticket.updatedAt.toISOString() };
}
