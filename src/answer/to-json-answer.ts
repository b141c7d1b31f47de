import type { Answer } from "./answer.js";

/** The public JSON contract of `enso ask --json`: exactly these fields. */
export interface JsonAnswer {
  decision: Answer["decision"];
  answer: string;
  confidence: number;
  citations: { id: string; title: string; source: string; text: string }[];
}

export function toJsonAnswer(answer: Answer): JsonAnswer {
  return {
    decision: answer.decision,
    answer: answer.text,
    confidence: Math.round(Math.min(1, Math.max(0, answer.confidence)) * 1000) / 1000,
    citations: answer.citations.map((citation) => ({
      id: citation.id,
      title: citation.title,
      source: citation.url ? `${citation.source} (${citation.url})` : citation.source,
      text: citation.text,
    })),
  };
}
