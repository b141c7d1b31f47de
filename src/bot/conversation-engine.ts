import type { Logger } from "pino";
import type { Turn } from "../answer/answer.js";
import type { Assistant } from "../assistant.js";
import type { OutboundMessage } from "./chat-channel.js";
import type { InboundMessage } from "./inbound-message.js";

/** How many turns of a conversation the answerer sees. */
export const HISTORY_TURNS = 6;

/**
 * The turn pipeline shared by every channel: drop duplicates, answer through the assistant,
 * remember the last turns of each conversation. Handoff and takeover plug in here later.
 */
export class ConversationEngine {
  private readonly histories = new Map<string, Turn[]>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly assistant: Pick<Assistant, "ask">,
    private readonly log: Logger,
  ) {}

  async handle(message: InboundMessage): Promise<OutboundMessage | undefined> {
    const key = `${message.platform}:${message.messageId}`;
    if (this.seen.has(key)) {
      this.log.debug({ messageId: message.messageId }, "duplicate message ignored");
      return undefined;
    }
    this.seen.add(key);
    const conversation = `${message.platform}:${message.conversationId}:${message.threadId ?? ""}`;
    const history = this.histories.get(conversation) ?? [];
    const answer = await this.assistant.ask(message.text, history);
    this.log.info({ platform: message.platform, decision: answer.decision, reason: answer.reason, confidence: Number(answer.confidence.toFixed(3)) }, "turn");
    this.histories.set(conversation, [...history, { role: "user" as const, text: message.text }, { role: "assistant" as const, text: answer.text }].slice(-HISTORY_TURNS));
    return { kind: "answer", answer };
  }
}
