import type { Answer } from "../answer/answer.js";
import type { InboundMessage } from "./inbound-message.js";

/** What the engine asks a channel to show: plain text, or an answer with its sources. */
export type OutboundMessage = ({ kind: "text"; text: string } | { kind: "answer"; answer: Answer; /** The question it answers, for feedback records. */ question?: string; /** The ticket this escalation opened (no feedback buttons then). */ ticketRef?: string }) & {
  /**
   * Asked just before each part is posted: false when a person took the conversation over while
   * the answer was being prepared, and the reply must then not be posted.
   */
  stillWanted?: () => boolean;
  /** Called when the reply was dropped for that reason: the message then goes to the person instead. */
  dropped?: () => void;
};

/**
 * The port each platform implements. A channel only translates: platform payloads into
 * InboundMessage for `onMessage`, and OutboundMessage into platform replies.
 *
 * @example await channel.start(async (message) => engine.handle(message));
 */
export interface ChatChannel {
  readonly name: InboundMessage["platform"];
  start(onMessage: (message: InboundMessage, onProgress?: (textSoFar: string) => void) => Promise<OutboundMessage | undefined>): Promise<void>;
  stop(): Promise<void>;
}
