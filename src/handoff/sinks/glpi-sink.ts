import { followUpText, ticketHtml, ticketSubject } from "../render-ticket.js";
import { requestJson, SinkError, type DeliveryContext, type FollowUp, type TicketSink } from "../ticket-sink.js";
import type { Ticket } from "../ticket.js";

export interface GlpiSinkOptions {
  /** The API's URL, ending in apirest.php, e.g. https://glpi.example.org/apirest.php */
  readonly url: string;
  /** The API client's App-Token (Setup > General > API). */
  readonly appToken: string;
  /** The bot user's personal API token (its preferences, "Remote access keys"). */
  readonly userToken: string;
  readonly timeoutMs?: number;
}

/**
 * GLPI through its legacy REST API (apirest.php): a session per delivery (initSession, then
 * killSession whatever happens), the ticket with the requester given by email (no GLPI account
 * needed: _users_id_requester 0 with alternative_email), follow-ups as ITILFollowup. Create is
 * idempotent: it first looks for a ticket whose title holds the reference.
 */
export class GlpiSink implements TicketSink {
  readonly name = "glpi";
  private readonly base: string;

  constructor(private readonly options: GlpiSinkOptions) {
    this.base = options.url.replace(/\/+$/, "");
  }

  private async withSession<T>(work: (call: (path: string, init?: RequestInit) => Promise<unknown>) => Promise<T>): Promise<T> {
    const timeout = this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {};
    const { body } = await requestJson("GLPI", `${this.base}/initSession`, {
      headers: { Authorization: `user_token ${this.options.userToken}`, "App-Token": this.options.appToken, Accept: "application/json" },
      ...timeout,
    });
    const session = (body as { session_token?: string } | undefined)?.session_token;
    if (!session) throw new SinkError("GLPI opened no session (no session_token in its answer)", false);
    const headers = { "Session-Token": session, "App-Token": this.options.appToken, "Content-Type": "application/json", Accept: "application/json" };
    try {
      return await work(async (path, init = {}) => (await requestJson("GLPI", `${this.base}${path}`, { ...init, headers: { ...headers, ...init.headers }, ...timeout })).body);
    } finally {
      await requestJson("GLPI", `${this.base}/killSession`, { headers, ...timeout }).catch(() => undefined);
    }
  }

  private static async find(call: (path: string) => Promise<unknown>, ref: string): Promise<string | undefined> {
    const found = await call(`/Ticket?searchText%5Bname%5D=${encodeURIComponent(ref)}&range=0-4`);
    const items = Array.isArray(found) ? (found as { id?: number | string; name?: string }[]) : [];
    const match = items.find((item) => String(item.name ?? "").includes(ref));
    return match?.id === undefined ? undefined : String(match.id);
  }

  async create(ticket: Ticket): Promise<{ externalId?: string }> {
    return this.withSession(async (call) => {
      const existing = await GlpiSink.find(call, ticket.ref);
      if (existing) return { externalId: existing };
      const created = await call("/Ticket", {
        method: "POST",
        body: JSON.stringify({
          input: {
            name: ticketSubject(ticket),
            content: ticketHtml(ticket),
            ...(ticket.user.email ? { _users_id_requester: 0, _users_id_requester_notif: { use_notification: 1, alternative_email: [ticket.user.email] } } : {}),
          },
        }),
      });
      const id = (created as { id?: number | string } | undefined)?.id;
      if (id === undefined) throw new SinkError(`GLPI created a ticket but did not say its id: ${JSON.stringify(created).slice(0, 200)}`, false);
      return { externalId: String(id) };
    });
  }

  async followUp(ticket: Ticket, payload: unknown, context: DeliveryContext): Promise<void> {
    await this.withSession(async (call) => {
      const id = context.externalId ?? (await GlpiSink.find(call, ticket.ref));
      if (!id) throw new SinkError(`no GLPI ticket for ${ticket.ref}`, true);
      await call("/ITILFollowup", {
        method: "POST",
        body: JSON.stringify({ input: { itemtype: "Ticket", items_id: Number(id), content: followUpText(ticket, payload as FollowUp), is_private: 1 } }),
      });
    });
  }
}
