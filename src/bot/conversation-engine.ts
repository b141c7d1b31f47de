import type { Logger } from "pino";
import type { Turn } from "../answer/answer.js";
import type { Contact } from "../answer/contact.js";
import type { AskResult } from "../answer/ask-question.js";
import { smallTalk } from "../answer/detect-intent.js";
import { escalationLead, failureText, rateLimitedText, smallTalkText } from "../answer/messages.js";
import { HandoffDesk } from "../handoff/handoff-desk.js";
import { alreadyWithStaffText, ticketOpenedText } from "../handoff/handoff-messages.js";
import { TICKET_REASONS, type TicketReason } from "../handoff/ticket.js";
import type { Assistant } from "../assistant.js";
import { detectLanguage } from "../knowledge/detect-language.js";
import type { OutboundMessage } from "./chat-channel.js";
import type { InboundMessage } from "./inbound-message.js";
import type { RateLimiter } from "./rate-limiter.js";

/** How many turns of a conversation the answerer sees. */
export const HISTORY_TURNS = 6;

/** Bounds on what the engine keeps in memory, so that months of traffic do not grow it without end. */
const SEEN_LIMIT = 20_000;
const CONVERSATION_LIMIT = 5_000;

export interface EngineOptions {
  readonly contact: Contact;
  readonly rateLimiter?: RateLimiter;
  /** Tickets and takeover; without it, escalations give the contact route only. */
  readonly desk?: HandoffDesk;
}

/**
 * The turn pipeline shared by every channel: drop duplicates, rate-limit each user, answer through
 * the assistant, remember the last turns of each conversation; a failure while answering becomes
 * an apology with the human contact route. With a handoff desk: a conversation a person holds is
 * relayed, never answered; an escalation opens a ticket; and the state is read again just before
 * the reply is posted (`stillWanted`), so a takeover during answering silences the bot.
 */
export class ConversationEngine {
  private readonly histories = new Map<string, Turn[]>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly assistant: Pick<Assistant, "ask">,
    private readonly log: Logger,
    private readonly options: EngineOptions,
  ) {}

  /**
   * `onProgress`, from channels that can show an answer as it is written, gets the text so far
   * while a model streams it (only for conversations the bot holds).
   */
  async handle(message: InboundMessage, onProgress?: (textSoFar: string) => void): Promise<OutboundMessage | undefined> {
    const key = `${message.platform}:${message.messageId}`;
    if (this.seen.has(key)) {
      this.log.debug({ messageId: message.messageId }, "duplicate message ignored");
      return undefined;
    }
    this.seen.add(key);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value as string);

    const desk = this.options.desk;
    const conversationRef = HandoffDesk.conversationOf(message);
    const allowance = () => this.options.rateLimiter?.take(`${message.platform}:${message.userId}`) ?? "allowed";
    // Any bot reply is dropped if a person took the conversation while it was prepared.
    const stillWanted = desk ? () => desk.hold(conversationRef).state === "bot" : undefined;
    if (desk) {
      const hold = desk.hold(conversationRef);
      if (hold.state !== "bot") {
        this.log.info({ platform: message.platform, ref: hold.ticketRef, state: hold.state }, "message relayed to staff, not answered");
        // While a ticket waits, each message also goes to the helpdesks: not more than the rate limit allows.
        const toSystems = hold.state !== "waiting_human" || allowance() === "allowed";
        const ack = desk.userMessage(message, hold, { toSystems });
        return ack ? { kind: "text", text: ack, stillWanted: () => desk.hold(conversationRef).state === "waiting_human" } : undefined;
      }
    }

    const allowed = allowance();
    if (allowed !== "allowed") {
      this.log.warn({ platform: message.platform, userId: message.userId, replied: allowed === "limited" }, "rate limit: message not answered");
      return allowed === "limited" ? { kind: "text", text: rateLimitedText(detectLanguage(message.text)), ...(stillWanted ? { stillWanted } : {}) } : undefined;
    }

    // "aide", "bonjour", "merci": no question for the corpus, and no ticket for nothing.
    const talk = smallTalk(message.text);
    if (talk) {
      this.log.info({ platform: message.platform, smallTalk: talk.kind }, "turn");
      return { kind: "text", text: smallTalkText(talk.kind, talk.language, this.options.contact), ...(stillWanted ? { stillWanted } : {}) };
    }

    const conversation = `${message.platform}:${message.conversationId}:${message.threadId ?? ""}`;
    const history = this.histories.get(conversation) ?? [];
    // A reply dropped because a person took over: the question then goes to the person who took it, not nowhere.
    const dropped = desk ? () => void desk.userMessage(message, desk.hold(conversationRef)) : undefined;
    const guard = stillWanted && dropped ? { stillWanted, dropped } : {};
    let answer: AskResult;
    try {
      // Streamed text is shown only while the conversation is still the bot's.
      const progress = onProgress && (stillWanted ? (text: string) => stillWanted() && onProgress(text) : onProgress);
      answer = await this.assistant.ask(message.text, history, progress);
    } catch (error) {
      this.log.error({ err: error, platform: message.platform, messageId: message.messageId }, desk ? "answering failed: a ticket is opened" : "answering failed: the user got an apology");
      const language = detectLanguage(message.text);
      if (desk) return this.openTicket(desk, message, { decision: "escalated", reason: "provider_error", language, confidence: 0, citations: [], text: "" }, "provider_error", history);
      return { kind: "text", text: failureText(language, this.options.contact) };
    }
    this.log.info({ platform: message.platform, decision: answer.decision, reason: answer.reason, confidence: Number(answer.confidence.toFixed(3)) }, "turn");
    // A refused message (empty, unreadable, megabytes long) is no context for the next question.
    if (answer.reason === "invalid_input") return { kind: "answer", answer, ...guard };
    this.remember(conversation, history, message.text, answer.text);
    if (desk && answer.decision === "escalated" && (TICKET_REASONS as readonly string[]).includes(answer.reason)) {
      return this.openTicket(desk, message, answer, answer.reason as TicketReason, history);
    }
    return { kind: "answer", answer, question: message.text, ...guard };
  }

  /**
   * "Talk to a human" under an answer: opens a ticket for the question it answered, unless the
   * conversation already has one waiting or held; returns what the user is told.
   */
  async escalateOnRequest(message: InboundMessage, language: "fr" | "en", answerText: string): Promise<string | undefined> {
    const desk = this.options.desk;
    if (!desk) return undefined;
    const hold = desk.hold(HandoffDesk.conversationOf(message));
    if (hold.state !== "bot" && hold.ticketRef) return alreadyWithStaffText(language, hold.ticketRef);
    const history: Turn[] = [{ role: "user", text: message.text }, { role: "assistant", text: answerText }];
    const outbound = await this.openTicket(desk, message, { decision: "escalated", reason: "user_request", language, confidence: 1, citations: [], text: "" }, "user_request", history);
    return outbound.kind === "answer" ? outbound.answer.text : outbound.text;
  }

  private remember(conversation: string, history: readonly Turn[], question: string, reply: string): void {
    this.histories.delete(conversation);
    this.histories.set(conversation, [...history, { role: "user" as const, text: question }, { role: "assistant" as const, text: reply }].slice(-HISTORY_TURNS));
    if (this.histories.size > CONVERSATION_LIMIT) this.histories.delete(this.histories.keys().next().value as string);
  }

  /** Opens a ticket; the reply says why, the reference, who answers and where. */
  private async openTicket(desk: HandoffDesk, message: InboundMessage, answer: AskResult, reason: TicketReason, history: readonly Turn[]): Promise<OutboundMessage> {
    let email: string | undefined;
    let fullName: string | undefined;
    try {
      const profile = await message.userProfile?.();
      email = profile?.email || undefined;
      fullName = profile?.name || undefined;
    } catch (error) {
      this.log.warn({ err: error, platform: message.platform }, "the user's email could not be read; the ticket goes without it");
    }
    try {
      const { ticket, inChat, existing } = desk.escalate({ message, ...(email ? { email } : {}), ...(fullName ? { fullName } : {}), answer, reason, history, ...(message.ephemeral ? { chat: false } : {}) });
      const text = existing ? alreadyWithStaffText(answer.language, ticket.ref) : `${escalationLead(answer.language, reason, answer.elsewhere)}\n\n${ticketOpenedText(answer.language, { ref: ticket.ref, inChat, waitMinutes: Math.round(desk.claimTimeoutMs / 60000), ...(email ? { email } : {}), contact: this.options.contact, delivered: desk.delivers })}`;
      const conversationRef = HandoffDesk.conversationOf(message);
      return {
        kind: "answer",
        answer: { ...answer, text },
        question: message.text,
        ticketRef: ticket.ref,
        // The ticket's own message still goes out if a person claimed it meanwhile.
        stillWanted: () => {
          const hold = desk.hold(conversationRef);
          return hold.state === "bot" || hold.ticketRef === ticket.ref;
        },
      };
    } catch (error) {
      this.log.error({ err: error, platform: message.platform }, "a ticket could not be opened: the user got the contact route");
      const conversationRef = HandoffDesk.conversationOf(message);
      return { kind: "text", text: failureText(answer.language, this.options.contact), stillWanted: () => desk.hold(conversationRef).state === "bot" };
    }
  }
}
