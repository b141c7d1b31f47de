import type { Logger } from "pino";
import { detectLanguage } from "../knowledge/detect-language.js";
import { tokenize } from "../retrieval/analyze-text.js";
import type { Retriever, SearchResult } from "../retrieval/retriever.js";
import type { Answer, Answerer, Turn } from "./answer.js";
import { checkQuestion } from "./check-question.js";
import type { Contact } from "./contact.js";
import { asksForHuman, removeInjections } from "./detect-intent.js";
import { escalationText, invalidInputText } from "./messages.js";

export interface AskDependencies {
  readonly retriever: Retriever;
  readonly answerer: Answerer;
  readonly contact: Contact;
  readonly maxQuestionChars: number;
  readonly searchK: number;
  readonly log: Logger;
}

export interface AskResult extends Answer {
  /** The search behind the answer (absent when the message was refused before searching). */
  readonly search?: SearchResult;
}

/**
 * One question, from raw text to an answer or an escalation: unreadable input gets a short reply,
 * a request for a person escalates at once, instructions to the assistant are dropped before the
 * search, and any failure becomes an apology with the human contact route, never an exception.
 */
export async function askQuestion(raw: string, deps: AskDependencies, history: readonly Turn[] = [], onToken?: (textSoFar: string) => void): Promise<AskResult> {
  const checked = checkQuestion(raw, deps.maxQuestionChars);
  if (!checked.ok) {
    // Nothing readable to guess from: answer in the language of the conversation so far.
    const lastQuestion = history.filter((turn) => turn.role === "user").at(-1)?.text ?? "";
    const language = detectLanguage(raw.slice(0, 500), detectLanguage(lastQuestion));
    deps.log.warn({ problem: checked.problem, chars: raw.length }, "message refused");
    return { decision: "escalated", reason: "invalid_input", language, confidence: 0, citations: [], text: invalidInputText(language, checked.problem, deps.maxQuestionChars) };
  }
  const language = detectLanguage(checked.question);
  const escalate = (reason: "user_request" | "injection" | "provider_error"): AskResult => ({
    decision: "escalated",
    reason,
    language,
    confidence: reason === "user_request" ? 1 : 0,
    citations: [],
    text: escalationText(language, reason, deps.contact),
  });
  if (asksForHuman(checked.question)) return escalate("user_request");
  const { question, injected } = removeInjections(checked.question);
  if (injected) deps.log.warn({ kept: question.length, chars: checked.question.length }, "instructions to the assistant removed from a question");
  if (injected && tokenize(question).length < 2) return escalate("injection");
  try {
    const search = await deps.retriever.search(question, deps.searchK);
    const answer = await deps.answerer.answer({ question, search, history, ...(onToken ? { onToken } : {}) });
    deps.log.debug({ decision: answer.decision, reason: answer.reason, confidence: answer.confidence, citations: answer.citations.map((c) => c.id) }, "answered");
    return { ...answer, search };
  } catch (error) {
    deps.log.error({ err: error }, "answering failed");
    return escalate("provider_error");
  }
}
