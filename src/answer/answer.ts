import type { Language } from "../knowledge/detect-language.js";
import type { SearchResult } from "../retrieval/retriever.js";

export type Decision = "answered" | "escalated";

/**
 * Why the assistant answered or escalated. Later stages read it: a ticket is opened for
 * low_confidence, out_of_scope, user_request and provider_error, not for invalid_input.
 */
export type Reason = "confident" | "low_confidence" | "out_of_scope" | "user_request" | "injection" | "invalid_input" | "provider_error";

export interface Citation {
  /** The corpus entry's stable id. */
  readonly id: string;
  readonly title: string;
  /** The source document, and its URL when it has one. */
  readonly source: string;
  readonly url?: string;
  /** The language the passage is written in. */
  readonly lang: Language;
  /** The passage quoted. */
  readonly text: string;
}

export interface Answer {
  readonly decision: Decision;
  readonly reason: Reason;
  readonly language: Language;
  /** The reply, in Markdown, in the question's language. */
  readonly text: string;
  /** Calibrated confidence in [0, 1] that the cited passage answers the question. */
  readonly confidence: number;
  readonly citations: readonly Citation[];
  /** Out of scope: the topic of another service the question seems to belong to (that entry's title). */
  readonly elsewhere?: string;
}

export interface Turn {
  readonly role: "user" | "assistant" | "staff";
  readonly text: string;
}

/**
 * The port that turns a question and the passages found into an answer or an escalation.
 *
 * @example const answer = await answerer.answer({ question, search, history: [] });
 */
export interface Answerer {
  /** `onToken`, when the answerer writes as it goes (a model streaming), gets the text so far. */
  answer(input: { question: string; search: SearchResult; history: readonly Turn[]; onToken?: (textSoFar: string) => void }): Promise<Answer>;
}
