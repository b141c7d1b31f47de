import type { OutboundMessage } from "../../chat-channel.js";

/** Plain text for a terminal: the answer, its confidence, and its sources numbered. */
export function renderForTerminal(message: OutboundMessage): string {
  if (message.kind === "text") return message.text;
  const { answer } = message;
  const status = answer.decision === "answered" ? `réponse (confiance ${answer.confidence.toFixed(2)})` : `transmis à un humain (${answer.reason})`;
  return `enso › [${status}]\n${answer.text}`;
}
