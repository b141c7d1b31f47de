import { createHash } from "node:crypto";
import type { Post } from "@mattermost/types/posts";
import type mattermost from "@mattermost/client";
import type { ConversationHold, TicketStore } from "../../../store/ticket-store.js";
import type { StaffNote } from "../../../handoff/handoff-desk.js";
import { reasonLabels, statusLabel } from "../../../handoff/render-ticket.js";
import type { ChatNote, DeliveryContext, TicketSink } from "../../../handoff/ticket-sink.js";
import type { Ticket } from "../../../handoff/ticket.js";
import { isPermanentStatus, SinkError } from "../../../handoff/ticket-sink.js";
import { neutralizeMentions } from "./neutralize-mentions.js";
import { readPostsSince } from "./read-posts-since.js";
import { splitMessage } from "./split-message.js";

type Client = InstanceType<typeof mattermost.Client4>;

/** The staff buttons' actions, as carried in their context. */
export type StaffAction = "claim" | "resolve" | "release";

interface Wiring {
  readonly client: Client;
  readonly tickets: TicketStore;
  readonly actionUrl: string;
  readonly secret: string;
  readonly maxPostChars: number;
}

/** Mattermost's errors: 4xx other than 408/429 cannot be fixed by retrying. */
function toSinkError(what: string, error: unknown): SinkError {
  return new SinkError(`Mattermost: could not ${what}: ${(error as Error).message}`, isPermanentStatus((error as { status_code?: number }).status_code), { cause: error });
}

/** A short, fixed-length id for Mattermost's pending_post_id (its dedup key), one per part. */
const pendingId = (key: string, part: number) => `enso-${createHash("sha256").update(key).digest("base64url").slice(0, 22)}-${part}`;

/**
 * Posts the parts of one delivery; on a retry (it may have landed before the failure), the parts
 * already in the channel, tagged with the delivery's key, are not posted again.
 */
async function postParts(client: Client, context: DeliveryContext, post: { channel_id: string; root_id: string; props: Record<string, unknown> }, parts: readonly string[], lastProps: Record<string, unknown> = {}): Promise<void> {
  let posted = new Set<number>();
  if ((context.attempts ?? 0) > 0) {
    const since = (context.since?.getTime() ?? Date.now()) - 60_000;
    const recent = await readPostsSince(client, post.channel_id, since);
    posted = new Set(recent.filter((p) => p.props?.enso_key === context.key).map((p) => Number(p.props?.enso_part)));
  }
  for (const [i, message] of parts.entries()) {
    if (posted.has(i)) continue;
    const props = { ...post.props, enso_key: context.key, enso_part: i, ...(i === parts.length - 1 ? lastProps : {}) };
    await client.createPost({ channel_id: post.channel_id, root_id: post.root_id, message, props, pending_post_id: pendingId(context.key, i) } as Partial<Post> as Post);
  }
}

/**
 * The ticket card of the staff channel: question, reason, user, sources, transcript excerpt, status,
 * and the buttons that fit the status. Staff answer the user by replying in the card's thread.
 */
export function renderTicketCard(ticket: Ticket, hold: ConversationHold, wiring: Pick<Wiring, "actionUrl" | "secret">): { message: string; props: Record<string, unknown> } {
  const passages = ticket.passages.map((p, i) => `${i + 1}. ${p.url ? `[${p.title}](${p.url})` : p.title} — ${p.source} (BM25 ${p.bm25.toFixed(1)}, vecteur ${p.vector.toFixed(2)})`);
  const transcript = ticket.transcript.slice(-4).map((t) => `> **${t.role === "user" ? "Personne" : "Assistant"}** : ${t.text.replace(/\s+/g, " ").slice(0, 300)}`);
  const user = `${ticket.user.name || ticket.user.id}${ticket.user.email ? ` (${ticket.user.email})` : ""}`;
  const message = neutralizeMentions(
    [
      `#### Demande ${ticket.ref}`,
      ...ticket.question.split("\n").map((line) => `> ${line}`),
      "",
      `**Motif :** ${reasonLabels[ticket.reason]} · **Personne :** ${user} · **Langue :** ${ticket.language}`,
      ...(passages.length > 0 ? ["", "**Sources trouvées :**", ...passages] : []),
      ...(transcript.length > 0 ? ["", "**Derniers échanges :**", ...transcript] : []),
      "",
      `_Répondez dans ce fil : vos messages sont transmis à la personne tant que vous avez la conversation._`,
    ].join("\n"),
  ).slice(0, 15_000);
  const button = (action: StaffAction, name: string, style: string) => ({ id: action, name, type: "button", style, integration: { url: wiring.actionUrl, context: { action, ticket: ticket.ref, secret: wiring.secret } } });
  const actions =
    ticket.status === "resolved"
      ? []
      : [
          ...(hold.ticketRef === ticket.ref && hold.state === "human" ? [button("release", "Rendre au bot", "default")] : [button("claim", ticket.status === "open" ? "Prendre en charge" : "Reprendre", "primary")]),
          button("resolve", "Résolu", "success"),
        ];
  const color = ticket.status === "resolved" ? "#3db887" : ticket.status === "claimed" ? "#1c58d9" : "#ffbc1f";
  return { message, props: { enso_ticket: ticket.ref, attachments: [{ color, text: `**Statut :** ${statusLabel(ticket, hold)}`, actions }] } };
}

/**
 * The staff channel as a ticket sink: `create` posts the card (or finds the one a crash left
 * unrecorded), follow-ups post in its thread or refresh it.
 */
export class MattermostStaffRoom implements TicketSink {
  readonly name = "staff";

  constructor(
    private readonly wiring: Wiring,
    readonly channelId: string,
    private readonly botId: () => Promise<string>,
  ) {}

  async create(ticket: Ticket): Promise<{ externalId?: string }> {
    const { client, tickets } = this.wiring;
    try {
      // A card posted before a crash, not yet recorded: found rather than posted again.
      const recent = await readPostsSince(client, this.channelId, ticket.createdAt.getTime() - 60_000);
      const botId = await this.botId();
      const existing = recent.find((post) => post.user_id === botId && !post.root_id && post.props?.enso_ticket === ticket.ref);
      const card = renderTicketCard(ticket, tickets.hold(ticket.conversation), this.wiring);
      const post = existing ?? ((await client.createPost({ channel_id: this.channelId, message: card.message, props: card.props } as Partial<Post> as Post)) as Post);
      tickets.setCard(ticket.ref, post.id);
      tickets.record(ticket.ref, { at: new Date(), actor: "bot", kind: "card_posted", detail: post.id });
      return { externalId: post.id };
    } catch (error) {
      throw toSinkError("post the ticket card", error);
    }
  }

  async followUp(ticket: Ticket, payload: unknown, context: DeliveryContext): Promise<void> {
    const note = payload as StaffNote;
    const cardId = context.externalId ?? ticket.cardId ?? "";
    try {
      if ("card" in note) {
        if (!cardId) return;
        const card = renderTicketCard(ticket, this.wiring.tickets.hold(ticket.conversation), this.wiring);
        await this.wiring.client.patchPost({ id: cardId, message: card.message, props: card.props } as Partial<Post> & { id: string });
        return;
      }
      await postParts(this.wiring.client, context, { channel_id: this.channelId, root_id: cardId, props: { enso_ticket: ticket.ref } }, splitMessage(neutralizeMentions(note.text), this.wiring.maxPostChars));
    } catch (error) {
      throw toSinkError("post in the staff channel", error);
    }
  }
}

/** The user's Mattermost conversation as a sink: staff replies, claim, release and resolution notices. */
export class MattermostChatSink implements TicketSink {
  readonly name = "chat:mattermost";

  constructor(private readonly wiring: Wiring) {}

  async create(): Promise<{ externalId?: string }> {
    return {};
  }

  async followUp(ticket: Ticket, payload: unknown, context: DeliveryContext): Promise<void> {
    const note = payload as ChatNote;
    const parts = splitMessage(neutralizeMentions(note.text), this.wiring.maxPostChars);
    const lang = ticket.language;
    const buttons = note.askFeedback
      ? [
          { id: "useful", name: lang === "en" ? "Yes" : "Oui", type: "button", style: "default", integration: { url: this.wiring.actionUrl, context: { action: "useful", secret: this.wiring.secret, lang, ticket: ticket.ref, cited: "" } } },
          { id: "notuseful", name: lang === "en" ? "No" : "Non", type: "button", style: "default", integration: { url: this.wiring.actionUrl, context: { action: "not_useful", secret: this.wiring.secret, lang, ticket: ticket.ref, cited: "" } } },
        ]
      : [];
    try {
      await postParts(this.wiring.client, context, { channel_id: ticket.conversation.conversationId, root_id: ticket.conversation.threadId, props: { enso_ticket: ticket.ref } }, parts, buttons.length > 0 ? { attachments: [{ text: "", actions: buttons }] } : {});
    } catch (error) {
      throw toSinkError("write to the user", error);
    }
  }
}
