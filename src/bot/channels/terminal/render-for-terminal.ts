import type { OutboundMessage } from "../../chat-channel.js";

const labels = {
  fr: { answered: (c: string) => `réponse, confiance ${c}`, escalated: "pour l'équipe ENSO" },
  en: { answered: (c: string) => `answer, confidence ${c}`, escalated: "for the ENSO team" },
};

/** Plain text for a terminal: the answer with a short status line (none for a refused message). */
export function renderForTerminal(message: OutboundMessage): string {
  if (message.kind === "text") return message.text;
  const { answer } = message;
  const label = labels[answer.language];
  if (answer.reason === "invalid_input" || answer.reason === "injection") return `enso › ${answer.text}`;
  const status = answer.decision === "answered" ? label.answered(answer.confidence.toFixed(2)) : label.escalated;
  return `enso › [${status}]\n${answer.text}`;
}
