import type { Post } from "@mattermost/types/posts";
import type mattermost from "@mattermost/client";
import type { ConversationHold, TicketStore } from "../../../store/ticket-store.js";
import type { StaffNote } from "../../../handoff/handoff-desk.js";
import { reasonLabels } from "../../../handoff/render-ticket.js";
import type { ChatNote, DeliveryContext, TicketSink } from "../../../handoff/ticket-sink.js";
import { assigneeName, type Ticket } from "../../../handoff/ticket.js";
import { SinkError } from "../../../handoff/ticket-sink.js";
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
  const status = (error as { status_code?: number }).status_code;
  const permanent = status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
  return new SinkError(`Mattermost: could not ${what}: ${(error as Error).message}`, permanent, { cause: error });
}

const statusLabel = (ticket: Ticket, hold: ConversationHold) =>
  ticket.status === "resolved"
    ? "✅ Résolu"
    : ticket.status === "claimed"
      ? `🙋 Pris en charge par ${assigneeName(ticket.assignee)}${hold.ticketRef === ticket.ref && hold.state === "human" ? " (dans le chat)" : " (conversation rendue à l'assistant)"}`
      : "⏳ Ouvert : personne ne l'a encore pris en charge";

/**
 * The ticket card of the staff channel: question, reason, user, sources, transcript excerpt, status,
 * and the buttons that fit the status. Staff answer the user by replying in the card's thread.
 */
export function renderTicketCard(ticket: Ticket, hold: ConversationHold, wiring: Pick<Wiring, "actionUrl" | "secret">): { message: string; props: Record<string, unknown> } {
  const passages = ticket.passages.map((p, i) => `${i + 1}. ${p.url ? `[${p.title}](${p.url})` : p.title} — ${p.source} (BM25 ${p.bm25.toFixed(1)}, vecteur ${p.vector.toFixed(2)})`);
  const transcript = ticket.transcript.slice(-4).map((t) => `> **${t.role === "user" ? "Personne" : "Assistant"}** : ${t.text.replace(/\s+/g, " ").slice(0, 300)}`);
  const user = `@${ticket.user.name || ticket.user.id}${ticket.user.email ? ` (${ticket.user.email})` : ""}`;
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
          ...(ticket.status === "open" ? [button("claim", "Prendre en charge", "primary")] : []),
          ...(hold.ticketRef === ticket.ref && hold.state === "human" ? [button("release", "Rendre au bot", "default")] : []),
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
    private readonly botId: () => string,
  ) {}

  async create(ticket: Ticket): Promise<{ externalId?: string }> {
    const { client, tickets } = this.wiring;
    try {
      // A card posted before a crash, not yet recorded: found rather than posted again.
      const recent = await readPostsSince(client, this.channelId, ticket.createdAt.getTime() - 60_000);
      const existing = recent.find((post) => post.user_id === this.botId() && !post.root_id && post.props?.enso_ticket === ticket.ref);
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
      for (const part of splitMessage(neutralizeMentions(note.text), this.wiring.maxPostChars)) {
        await this.wiring.client.createPost({ channel_id: this.channelId, root_id: cardId, message: part, props: { enso_ticket: ticket.ref } } as Partial<Post> as Post);
      }
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
      for (const [i, part] of parts.entries()) {
        const last = i === parts.length - 1;
        await this.wiring.client.createPost({
          channel_id: ticket.conversation.conversationId,
          root_id: ticket.conversation.threadId,
          message: part,
          props: { enso_ticket: ticket.ref, ...(last && buttons.length > 0 ? { attachments: [{ text: "", actions: buttons }] } : {}) },
          pending_post_id: `${context.key}-${i}`.slice(0, 60),
        } as Partial<Post> as Post);
      }
    } catch (error) {
      throw toSinkError("write to the user", error);
    }
  }
}
