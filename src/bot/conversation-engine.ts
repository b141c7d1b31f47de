import type { Logger } from "pino";
import type { Turn } from "../answer/answer.js";
import type { Contact } from "../answer/contact.js";
import { failureText, rateLimitedText } from "../answer/messages.js";
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
}

/**
 * The turn pipeline shared by every channel: drop duplicates, rate-limit each user, answer through
 * the assistant, remember the last turns of each conversation; a failure while answering becomes
 * an apology with the human contact route. Handoff and takeover plug in here later.
 */
export class ConversationEngine {
  private readonly histories = new Map<string, Turn[]>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly assistant: Pick<Assistant, "ask">,
    private readonly log: Logger,
    private readonly options: EngineOptions,
  ) {}

  async handle(message: InboundMessage): Promise<OutboundMessage | undefined> {
    const key = `${message.platform}:${message.messageId}`;
    if (this.seen.has(key)) {
      this.log.debug({ messageId: message.messageId }, "duplicate message ignored");
      return undefined;
    }
    this.seen.add(key);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value as string);

    const allowance = this.options.rateLimiter?.take(`${message.platform}:${message.userId}`) ?? "allowed";
    if (allowance !== "allowed") {
      this.log.warn({ platform: message.platform, userId: message.userId, replied: allowance === "limited" }, "rate limit: message not answered");
      return allowance === "limited" ? { kind: "text", text: rateLimitedText(detectLanguage(message.text)) } : undefined;
    }

    const conversation = `${message.platform}:${message.conversationId}:${message.threadId ?? ""}`;
    const history = this.histories.get(conversation) ?? [];
    try {
      const answer = await this.assistant.ask(message.text, history);
      this.log.info({ platform: message.platform, decision: answer.decision, reason: answer.reason, confidence: Number(answer.confidence.toFixed(3)) }, "turn");
      // A refused message (empty, unreadable, megabytes long) is no context for the next question.
      if (answer.reason === "invalid_input") return { kind: "answer", answer };
      this.histories.delete(conversation);
      this.histories.set(conversation, [...history, { role: "user" as const, text: message.text }, { role: "assistant" as const, text: answer.text }].slice(-HISTORY_TURNS));
      if (this.histories.size > CONVERSATION_LIMIT) this.histories.delete(this.histories.keys().next().value as string);
      return { kind: "answer", answer, question: message.text };
    } catch (error) {
      this.log.error({ err: error, platform: message.platform, messageId: message.messageId }, "answering failed: the user got an apology");
      return { kind: "text", text: failureText(detectLanguage(message.text), this.options.contact) };
    }
  }
}
