import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Turn } from "../answer/answer.js";
import type { Contact } from "../answer/contact.js";
import type { AskResult } from "../answer/ask-question.js";
import type { InboundMessage } from "../bot/inbound-message.js";
import type { ConversationHold, OutboxDraft, OutboxItem, TicketStore } from "../store/ticket-store.js";
import { claimedText, claimTimeoutText, releasedText, resolvedText, staffSaysText, waitingAckText } from "./handoff-messages.js";
import type { Outbox } from "./outbox.js";
import { withinStaffHours, type StaffHours } from "./staff-hours.js";
import type { ChatNote, FollowUp } from "./ticket-sink.js";
import { assigneeName, newTicketReference, type ConversationRef, type Ticket, type TicketReason } from "./ticket.js";

/**
 * A staff channel's sink: a card per ticket (create), then thread posts and card updates. Mattermost's
 * is "staff" (its name before Teams had one, kept for the deliveries databases already hold);
 * Teams' is "staff:teams". Every staff channel configured gets every ticket.
 */
export const STAFF_SINK = "staff";
export const staffSink = (platform: string) => (platform === "mattermost" ? STAFF_SINK : `staff:${platform}`);
export const isStaffSink = (name: string) => name === STAFF_SINK || name.startsWith("staff:");
/** The user's chat on a platform: "chat:mattermost", "chat:teams". */
export const chatSink = (platform: string) => `chat:${platform}`;

/** What the staff sink is asked to do after the card: refresh it, or post in its thread. */
export type StaffNote = { readonly card: true } | { readonly text: string };

export interface StaffMember {
  readonly id: string;
  readonly name: string;
}

export interface HandoffOptions {
  readonly site: string;
  /** How long an open ticket waits for a claim in chat before the user is told "by email". */
  readonly claimTimeoutMs: number;
  /** When staff watch the chat; absent: whenever the staff channel is configured. */
  readonly staffHours?: StaffHours;
  readonly contact: Contact;
  /** How many turns of the conversation go into a ticket. */
  readonly transcriptTurns?: number;
  /** A conversation a person holds, silent both ways this long, goes back to the bot (default 24 h). */
  readonly humanIdleMs?: number;
  /** Makes ticket references (tests); newTicketReference by default. */
  readonly newReference?: (now: Date) => string;
}

export type ActionResult = { readonly ok: true; readonly ticket: Ticket } | { readonly ok: false; readonly message: string };

const BOT = "ENSO assistant";

/**
 * Tickets and takeover: opens a ticket when the assistant escalates, moves the conversation through
 * bot -> waiting_human -> human -> bot, relays messages both ways while a person holds it, and
 * queues every delivery (staff card, helpdesks, mail, messages to the user) in the outbox, in the
 * same transaction as the state change that causes it.
 */
export class HandoffDesk {
  constructor(
    private readonly store: TicketStore,
    private readonly outbox: Outbox,
    private readonly log: Logger,
    private readonly options: HandoffOptions,
  ) {}

  get claimTimeoutMs(): number {
    return this.options.claimTimeoutMs;
  }

  /** The staff channels (Mattermost's, Teams'): each shows every ticket, and staff act from either. */
  private get staffRooms(): string[] {
    return this.outbox.sinkNames.filter(isStaffSink);
  }

  private get staffRoom(): boolean {
    return this.staffRooms.length > 0;
  }

  /** The helpdesks, mailboxes and webhooks (every sink but the staff channels and the chats). */
  private get external(): string[] {
    return this.outbox.sinkNames.filter((name) => !isStaffSink(name) && !name.startsWith("chat:"));
  }

  /**
   * The conversation a message belongs to, for holds: a direct or group message is one conversation
   * whatever thread the user replies in; in a channel, each thread is its own.
   */
  static conversationOf(message: Pick<InboundMessage, "platform" | "conversationId" | "threadId" | "isDirect">): ConversationRef {
    return { platform: message.platform, conversationId: message.conversationId, threadId: message.isDirect ? "" : (message.threadId ?? "") };
  }

  hold(conversation: ConversationRef): ConversationHold {
    return this.store.hold(conversation);
  }

  ticket(ref: string): Ticket | undefined {
    return this.store.get(ref);
  }

  byCard(cardId: string): Ticket | undefined {
    return this.store.byCard(cardId);
  }

  /** The ticket whose card a staff channel sink posted under this id (Teams: the thread's first message). */
  byStaffCard(sink: string, cardId: string): Ticket | undefined {
    return this.store.byExternalId(sink, cardId);
  }

  /** True when a person can take the conversation over in chat now. */
  staffAround(at = new Date()): boolean {
    return this.staffRoom && (!this.options.staffHours || withinStaffHours(this.options.staffHours, at));
  }

  /** True when the ticket reaches people by some route other than this database. */
  get delivers(): boolean {
    return this.staffRoom || this.external.length > 0;
  }

  /**
   * Opens a ticket for an escalated answer and queues its deliveries; returns it with where the user
   * will be answered. When the conversation already has a ticket waiting or held (two quick messages,
   * a double click), no second ticket is opened: the message joins the existing one (`existing`).
   * `chat: false` for replies the user cannot be written back to (an ephemeral slash command).
   */
  escalate(input: { message: InboundMessage; email?: string; fullName?: string; answer: Pick<AskResult, "language" | "search">; reason: TicketReason; history: readonly Turn[]; chat?: boolean }): { ticket: Ticket; inChat: boolean; existing?: true } {
    const { message, answer } = input;
    const now = new Date();
    const turns = this.options.transcriptTurns ?? 6;
    const draft: Ticket = {
      ref: "",
      createdAt: now,
      updatedAt: now,
      // "Alice Martin (alice)" when the platform gives a full name besides the username (Teams gives one name).
      user: { id: message.userId, name: input.fullName && message.userName && input.fullName !== message.userName ? `${input.fullName} (${message.userName})` : (input.fullName ?? message.userName), ...(input.email ? { email: input.email } : {}) },
      conversation: HandoffDesk.conversationOf(message),
      site: this.options.site,
      reason: input.reason,
      language: answer.language,
      question: message.text,
      transcript: input.history.slice(-turns).map((turn) => ({ role: turn.role, text: turn.text })),
      // ENSO's passages only: a topic of another service (scope: outside) is not a source.
      passages: (answer.search?.hits ?? []).filter((hit) => hit.chunk.outside !== true).slice(0, 5).map((hit) => ({
        id: hit.chunk.entryId,
        title: hit.chunk.title,
        source: hit.chunk.document,
        ...(hit.chunk.url ? { url: hit.chunk.url } : {}),
        bm25: hit.scores.bm25,
        vector: hit.scores.vector,
        coverage: hit.scores.coverage,
      })),
      status: "open",
      chatRoute: input.chat !== false,
    };
    const inChat = draft.chatRoute && this.staffAround(now);
    const { ticket, opened, deliveries } = this.openWithFreshReference(draft, inChat, now);
    if (!opened.opened) {
      const existing = opened.hold.ticketRef ? this.store.get(opened.hold.ticketRef) : undefined;
      if (existing) {
        this.userMessage(message, opened.hold);
        return { ticket: existing, inChat: true, existing: true };
      }
      throw new Error(`the conversation is held (${opened.hold.state}) without a ticket`);
    }
    this.log.info({ ref: ticket.ref, reason: ticket.reason, platform: ticket.conversation.platform, inChat, sinks: deliveries.map((d) => d.sink) }, "ticket opened");
    this.outbox.kick();
    return { ticket, inChat };
  }

  /**
   * Records the ticket under a new reference. References are random (5 characters of base 32, 33
   * million a day): two alike in a day are rare but possible, and the database refuses the second,
   * so another is drawn.
   */
  private openWithFreshReference(draft: Ticket, inChat: boolean, now: Date) {
    for (let attempt = 1; ; attempt++) {
      const ticket: Ticket = { ...draft, ref: (this.options.newReference ?? newTicketReference)(now) };
      const deliveries = [...this.staffRooms, ...this.external].map((sink): OutboxDraft => ({ key: `${ticket.ref}.${sink}.create`, sink, ref: ticket.ref, kind: "create" }));
      try {
        const opened = this.store.open(ticket, inChat ? "waiting_human" : "bot", deliveries, new Date(now.getTime() + this.options.claimTimeoutMs));
        return { ticket, opened, deliveries };
      } catch (error) {
        const duplicate = (error as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY";
        if (!duplicate || attempt >= 5) throw error;
        this.log.warn({ attempt }, "a ticket reference was already taken; another is drawn");
      }
    }
  }

  /**
   * A user message while a ticket holds the conversation: relayed to the ticket's staff thread (and,
   * while nobody has claimed it, to the helpdesks as new information). Returns the reply the user
   * gets, if any: only the first message while waiting is acknowledged.
   */
  userMessage(message: InboundMessage, hold: ConversationHold, options: { toSystems?: boolean } = {}): string | undefined {
    const ticket = hold.ticketRef ? this.store.get(hold.ticketRef) : undefined;
    if (!ticket) return undefined;
    // Someone else in a held channel thread: staff see it, the helpdesk (Reply-To the requester) does not.
    const fromRequester = message.userId === ticket.user.id;
    const at = new Date();
    const followUp: FollowUp = { kind: "user_message", author: message.userName || message.userId, text: message.text, at: at.toISOString() };
    const deliveries: OutboxDraft[] = [];
    // Keyed by the message: the same message relayed twice (a catch-up after a crash) is queued once.
    for (const room of this.staffRooms) deliveries.push(this.draft(ticket, room, { text: `**${message.userName || message.userId}** : ${message.text}` } satisfies StaffNote, message.messageId));
    if (hold.state === "waiting_human" && fromRequester && options.toSystems !== false) for (const sink of this.external) deliveries.push(this.draft(ticket, sink, followUp, message.messageId));
    const acknowledged = this.store.events(ticket.ref).some((event) => event.kind === "user_message");
    this.store.record(ticket.ref, { at, actor: `${message.userId}|${message.userName}`, kind: "user_message", detail: message.text }, deliveries);
    this.outbox.kick();
    return hold.state === "waiting_human" && !acknowledged && fromRequester ? waitingAckText(ticket.language, ticket.ref) : undefined;
  }

  claim(ref: string, staff: StaffMember): ActionResult {
    const ticket = this.store.get(ref);
    if (!ticket) return { ok: false, message: `Demande ${ref} introuvable.` };
    const result = this.store.claim(
      ref,
      `${staff.id}|${staff.name}`,
      this.tellEveryone(ticket, { user: { text: claimedText(ticket.language, ref, staff.name) }, staff: `Pris en charge par ${staff.name}.`, systems: { kind: "claimed", author: staff.name, text: `Pris en charge dans le chat par ${staff.name}.` } }),
    );
    this.outbox.kick();
    if (result.ok) {
      this.log.info({ ref }, "ticket claimed");
      return { ok: true, ticket: result.ticket };
    }
    const current = result.ticket;
    const message =
      result.heldFor !== undefined
        ? `La conversation de la personne attend déjà l'équipe pour la demande ${result.heldFor} : prenez plutôt celle-ci.`
        : current?.status === "claimed" ? `Déjà pris en charge par ${assigneeName(current.assignee)}.` : current?.status === "resolved" ? `La demande ${ref} est déjà résolue.` : `La demande ${ref} ne peut pas être prise en charge.`;
    return { ok: false, message };
  }

  /** A staff message in the ticket's thread: relayed to the user when a person holds the conversation. */
  staffReply(ref: string, staff: StaffMember, text: string, messageId?: string): ActionResult {
    let ticket = this.store.get(ref);
    if (!ticket) return { ok: false, message: `Demande ${ref} introuvable.` };
    // Answering in the thread of an unclaimed ticket takes it.
    if (ticket.status === "open") {
      const claimed = this.claim(ref, staff);
      if (claimed.ok) ticket = claimed.ticket;
    }
    if (ticket.status === "claimed" && ticket.assignee && !ticket.assignee.startsWith(`${staff.id}|`)) {
      return { ok: false, message: `Message non transmis : ${assigneeName(ticket.assignee)} a la conversation. Pour la reprendre, il faut qu'elle vous la rende (« Rendre au bot »), puis « Prendre en charge ».` };
    }
    const hold = this.store.hold(ticket.conversation);
    if (hold.ticketRef !== ref || hold.state !== "human") {
      return { ok: false, message: `Message non transmis : la conversation de la demande ${ref} n'est pas (ou plus) entre les mains de l'équipe. Répondez par courriel, ou reprenez-la avec « Prendre en charge ».` };
    }
    const at = new Date();
    this.store.record(ref, { at, actor: `${staff.id}|${staff.name}`, kind: "staff_reply", detail: text }, this.chat(ticket, { text: staffSaysText(staff.name, text) }, messageId));
    this.outbox.kick();
    return { ok: true, ticket };
  }

  release(ref: string, staff: StaffMember): ActionResult {
    const ticket = this.store.get(ref);
    if (!ticket) return { ok: false, message: `Demande ${ref} introuvable.` };
    const released = this.store.release(
      ref,
      `${staff.id}|${staff.name}`,
      this.tellEveryone(ticket, { user: { text: releasedText(ticket.language, ref) }, staff: `Conversation rendue à l'assistant par ${staff.name}.`, systems: { kind: "released", author: staff.name, text: this.chatTranscript(ref) } }),
    );
    this.outbox.kick();
    if (!released) return { ok: false, message: `La conversation de la demande ${ref} est déjà avec l'assistant.` };
    this.log.info({ ref }, "conversation released to the bot");
    return { ok: true, ticket: released };
  }

  resolve(ref: string, staff: StaffMember): ActionResult {
    const ticket = this.store.get(ref);
    if (!ticket) return { ok: false, message: `Demande ${ref} introuvable.` };
    const resolved = this.store.resolve(
      ref,
      `${staff.id}|${staff.name}`,
      this.tellEveryone(ticket, { user: { text: resolvedText(ticket.language, ref), askFeedback: true }, staff: `Résolu par ${staff.name}.`, systems: { kind: "resolved", author: staff.name, text: this.chatTranscript(ref) } }),
    );
    this.outbox.kick();
    if (!resolved) return { ok: false, message: `La demande ${ref} est déjà résolue.` };
    this.log.info({ ref }, "ticket resolved");
    return { ok: true, ticket: resolved };
  }

  /** Tells users whose ticket nobody claimed in time that the answer will come by email. */
  sweep(now = new Date()): number {
    let told = 0;
    for (const ticket of this.store.overdueClaims(now)) {
      const done = this.store.claimTimedOut(
        ticket.ref,
        this.tellEveryone(ticket, {
          user: { text: claimTimeoutText(ticket.language, ticket.ref, ticket.user.email, this.options.contact) },
          staff: `Personne n'a pris la demande en charge en ${Math.round(this.options.claimTimeoutMs / 60000)} min : la personne attend une réponse par courriel.`,
          systems: { kind: "claim_timeout", author: BOT, text: "Personne n'a pris la demande en charge dans le chat : merci de répondre par courriel." },
        }),
      );
      if (done) told++;
    }
    if (told > 0) {
      this.log.info({ tickets: told }, "claim timeout: users told the answer will come by email");
      this.outbox.kick();
    }
    // Nobody can answer in chat any more (no staff channel), or a person went silent for a day: the
    // conversation goes back to the bot rather than staying muted.
    const idle = this.staffRoom ? this.store.heldTickets(new Date(now.getTime() - (this.options.humanIdleMs ?? 24 * 3600_000))) : this.store.heldTickets();
    for (const ref of idle) {
      if (this.release(ref, { id: "bot", name: this.staffRoom ? "l'assistant (conversation inactive)" : "l'assistant (pas de canal d'équipe)" }).ok) told++;
    }
    return told;
  }

  /** A delivery given up: recorded on the ticket and posted in the staff channels (but the one that failed). */
  reportFailure(item: OutboxItem, error: string): void {
    const ticket = this.store.get(item.ref);
    if (!ticket) return;
    const deliveries = this.staffRooms.filter((room) => room !== item.sink).map((room) => this.draft(ticket, room, { text: `⚠️ La transmission de la demande ${ticket.ref} vers « ${item.sink} » a échoué et ne sera pas retentée : ${error}. Merci de la traiter à la main (\`enso tickets show ${ticket.ref}\`).` } satisfies StaffNote));
    this.store.record(ticket.ref, { at: new Date(), actor: "bot", kind: "delivery_failed", detail: `${item.sink}: ${error}` }, deliveries);
    this.outbox.kick();
  }

  /** The chat between the user and staff since the ticket opened, for the helpdesk's record. */
  private chatTranscript(ref: string): string {
    const lines = this.store
      .events(ref)
      .filter((event) => event.kind === "user_message" || event.kind === "staff_reply")
      .map((event) => `[${event.at.toISOString()}] ${event.kind === "staff_reply" ? assigneeName(event.actor) : `${assigneeName(event.actor)} (personne)`} : ${event.detail ?? ""}`);
    return lines.length > 0 ? `Échanges dans le chat :\n${lines.join("\n")}` : "Aucun échange dans le chat.";
  }

  /**
   * The deliveries of a change of status: the user's notice (when they can be written to), the
   * refreshed card and a note in its thread, and a follow-up to each ticket system.
   */
  private tellEveryone(ticket: Ticket, change: { user: ChatNote; staff: string; systems: Omit<FollowUp, "at"> }): OutboxDraft[] {
    const at = new Date().toISOString();
    return [
      ...this.chat(ticket, change.user),
      ...this.staffRooms.flatMap((room) => [this.draft(ticket, room, { card: true } satisfies StaffNote), this.draft(ticket, room, { text: change.staff } satisfies StaffNote)]),
      ...this.external.map((sink) => this.draft(ticket, sink, { ...change.systems, at } satisfies FollowUp)),
    ];
  }

  /** A message to the user in their chat, when the ticket has a chat route. */
  private chat(ticket: Ticket, note: ChatNote, sourceId?: string): OutboxDraft[] {
    return ticket.chatRoute ? [this.draft(ticket, chatSink(ticket.conversation.platform), note, sourceId)] : [];
  }

  private draft(ticket: Ticket, sink: string, payload: unknown, sourceId?: string): OutboxDraft {
    return { key: `${ticket.ref}.${sink}.${sourceId ?? randomUUID()}`, sink, ref: ticket.ref, kind: "follow_up", payload };
  }
}
