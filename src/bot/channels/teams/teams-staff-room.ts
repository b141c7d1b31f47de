import type { StaffNote } from "../../../handoff/handoff-desk.js";
import { isPermanentStatus, SinkError, type ChatNote, type DeliveryContext, type TicketSink } from "../../../handoff/ticket-sink.js";
import type { Ticket } from "../../../handoff/ticket.js";
import type { TicketStore } from "../../../store/ticket-store.js";
import { renderChatNote, renderTeamsTicketCard } from "./render-for-teams.js";
import type { TeamsChannel } from "./teams-channel.js";

/** The connector's errors (the SDK's HttpError has the status): a 4xx such as a channel the bot left is not retried. */
function toSinkError(what: string, error: unknown): SinkError {
  return new SinkError(`Teams: could not ${what}: ${(error as Error).message}`, isPermanentStatus((error as { status?: number }).status), { cause: error });
}

/**
 * The Teams staff channel as a ticket sink: `create` starts a thread with the ticket's card, whose
 * first message id is the ticket's id here; follow-ups post in that thread or redraw the card.
 * Teams cannot list a channel's messages to the bot, so a crash between posting a card and recording
 * it can post it twice (at least once, never lost).
 */
export class TeamsStaffRoom implements TicketSink {
  readonly name = "staff:teams";

  constructor(
    private readonly teams: TeamsChannel,
    private readonly tickets: TicketStore,
    private readonly channelId: string,
  ) {}

  async create(ticket: Ticket): Promise<{ externalId?: string }> {
    try {
      const id = await this.teams.startThread(this.channelId, { card: renderTeamsTicketCard(ticket, this.tickets.hold(ticket.conversation)) });
      this.tickets.record(ticket.ref, { at: new Date(), actor: "bot", kind: "card_posted", detail: `teams:${id}` });
      return { externalId: id };
    } catch (error) {
      throw toSinkError("post the ticket card", error);
    }
  }

  async followUp(ticket: Ticket, payload: unknown, context: DeliveryContext): Promise<void> {
    const note = payload as StaffNote;
    const root = context.externalId;
    // A ticket opened before the Teams staff channel was configured has no card here: nothing to follow.
    if (!root) return;
    const thread = { conversationId: this.channelId, threadId: root };
    try {
      if ("card" in note) {
        // Tickets change often: the card is drawn as it stands now, not as it was when queued.
        const current = this.tickets.get(ticket.ref) ?? ticket;
        await this.teams.update(thread, root, { card: renderTeamsTicketCard(current, this.tickets.hold(current.conversation)) });
      } else await this.teams.post(thread, { text: note.text });
    } catch (error) {
      throw toSinkError("write in the ticket's thread", error);
    }
  }
}

/** The user's Teams chat as a sink: relays and notices about their ticket, through the stored reference. */
export class TeamsChatSink implements TicketSink {
  readonly name = "chat:teams";

  constructor(private readonly teams: TeamsChannel) {}

  async create(): Promise<{ externalId?: string }> {
    return {};
  }

  async followUp(ticket: Ticket, payload: unknown): Promise<void> {
    const note = payload as ChatNote;
    const { conversationId, threadId } = ticket.conversation;
    try {
      await this.teams.post({ conversationId, ...(threadId ? { threadId } : {}) }, renderChatNote(note.text, { lang: ticket.language, ticket: ticket.ref, ...(note.askFeedback ? { askFeedback: true } : {}) }));
    } catch (error) {
      throw toSinkError("write to the user", error);
    }
  }
}
