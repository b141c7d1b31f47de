import type { Language } from "../knowledge/detect-language.js";
import type { Chunk } from "../knowledge/entry.js";
import type { Answer, Answerer, Citation } from "./answer.js";
import type { Contact } from "./contact.js";
import { decide } from "./decision-policy.js";
import { answersKind, expectedAnswer } from "./expected-answer.js";
import { answerIntro, escalationText } from "./messages.js";
import type { SearchResult } from "../retrieval/retriever.js";

/** Turns a passage into the citation the answer shows and the JSON contract carries. */
export function citationOf(chunk: Chunk): Citation {
  return { id: chunk.entryId, title: chunk.title, source: chunk.document, ...(chunk.url ? { url: chunk.url } : {}), lang: chunk.lang, text: chunk.text };
}

/**
 * The offline answerer: no model. It quotes the best passage (and a second one when the question
 * needs both), names the sources, and escalates when the calibrated confidence is too low.
 *
 * @example new ExtractiveAnswerer({ threshold: 0.5, contact }).answer({ question, search, history: [] })
 */
export class ExtractiveAnswerer implements Answerer {
  constructor(private readonly options: { threshold: number; contact: Contact }) {}

  async answer({ question, search }: { question: string; search: SearchResult }): Promise<Answer> {
    const language = search.language;
    const policy = decide(search, this.options.threshold);
    if (!policy.answered) return escalation(language, policy.outOfScope ? "out_of_scope" : "low_confidence", policy.confidence, this.options.contact, policy.elsewhere?.chunk.title);
    // A question asking for a date or a quantity is not answered by passages that state none. Such a
    // passage answers rarely, however close its words: the confidence is kept under the threshold.
    const kind = expectedAnswer(question);
    if (kind && !policy.passages.some((hit) => answersKind(kind, hit.chunk))) {
      return escalation(language, "low_confidence", Math.min(policy.confidence, this.options.threshold / 2), this.options.contact);
    }
    const citations = policy.passages.map((hit) => citationOf(hit.chunk));
    return { decision: "answered", reason: "confident", language, confidence: policy.confidence, citations, text: formatAnswer(language, citations) };
  }
}

/**
 * An escalation as both answerers give it: why, what happens next, no citation; `elsewhere`, the
 * other service an out-of-scope question seems to belong to.
 */
export function escalation(language: Language, reason: "out_of_scope" | "low_confidence", confidence: number, contact: Contact, elsewhere?: string): Answer {
  return { decision: "escalated", reason, language, confidence, citations: [], text: escalationText(language, reason, contact, elsewhere), ...(elsewhere ? { elsewhere } : {}) };
}

/** The reply: a lead-in, each passage quoted, then its source. */
export function formatAnswer(language: Answer["language"], citations: readonly Citation[]): string {
  const quoted = citations.map((citation) => {
    const quote = citation.text.split("\n").map((line) => `> ${line}`).join("\n");
    const link = citation.url ? ` (${citation.url})` : "";
    const title = language === "fr" ? `« ${citation.title} »` : `"${citation.title}"`;
    return `${quote}\n\n— ${citation.source}, ${title}${link}`;
  });
  return `${answerIntro(language, citations)}\n\n${quoted.join("\n\n")}`;
}
