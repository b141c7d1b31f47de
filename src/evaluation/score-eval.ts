import type { AskResult } from "../answer/ask-question.js";
import { detectLanguage, type Language } from "../knowledge/detect-language.js";
import type { EvalCase } from "./eval-case.js";
import { containsPhrase } from "./normalize-for-match.js";

export interface EvalOutcome {
  readonly case: EvalCase;
  readonly result: AskResult;
  readonly ms: number;
}

export interface Metrics {
  readonly questions: number;
  readonly inScope: number;
  /** Share of in-scope questions answered with a right passage and none of the forbidden phrases. */
  readonly inScopeAccuracy: number;
  readonly outOfScope: number;
  /** Share of questions that should escalate and did. */
  readonly escalationRecall: number;
  /** Share of escalations that should have happened. */
  readonly escalationPrecision: number;
  /** Rank of the first passage holding an expected phrase: hit@1, hit@3 and mean reciprocal rank. */
  readonly hitAt1: number;
  readonly hitAt3: number;
  readonly mrr: number;
  readonly latencyP50: number;
  readonly latencyP95: number;
}

export interface Miss {
  readonly id: string;
  readonly q: string;
  readonly expected: string;
  readonly got: string;
  readonly why: string;
}

export interface EvalReport {
  readonly all: Metrics;
  readonly byLanguage: Record<Language, Metrics>;
  readonly misses: readonly Miss[];
}

/** Whether an outcome meets its case; the reason when it does not. */
export function judge(outcome: EvalOutcome): string | undefined {
  const { case: c, result } = outcome;
  const said = [result.text, ...result.citations.map((citation) => citation.text)].join("\n");
  const forbidden = c.none.find((phrase) => containsPhrase(result.text, phrase));
  if (forbidden) return `the answer says "${forbidden}"`;
  if (c.expect === "escalated") return result.decision === "escalated" ? undefined : `answered with ${result.citations[0]?.id ?? "nothing"} (confidence ${result.confidence.toFixed(2)})`;
  if (c.expect === "answered" && result.decision !== "answered") {
    const why = result.elsewhere ? `taken for another service: ${result.elsewhere}` : `best passage ${result.search?.hits[0]?.chunk.entryId ?? "none"}`;
    return `escalated (${result.reason}, confidence ${result.confidence.toFixed(2)}; ${why})`;
  }
  if (result.decision === "answered" && c.any.length > 0 && !c.any.some((phrase) => containsPhrase(said, phrase))) {
    return `answered with ${result.citations.map((citation) => citation.id).join(", ")}, which has none of the expected phrases`;
  }
  return undefined;
}

/** Scores a run of a question set: the figures `enso eval` prints, overall and by language. */
export function scoreEval(outcomes: readonly EvalOutcome[]): EvalReport {
  const misses: Miss[] = [];
  for (const outcome of outcomes) {
    const why = judge(outcome);
    if (why) misses.push({ id: outcome.case.id, q: outcome.case.q, expected: outcome.case.expect, got: outcome.result.decision, why });
  }
  const missed = new Set(misses.map((miss) => miss.id));
  const of = (language?: Language) => metrics(outcomes.filter((o) => !language || detectLanguage(o.case.q) === language), missed);
  return { all: of(), byLanguage: { fr: of("fr"), en: of("en") }, misses };
}

function metrics(outcomes: readonly EvalOutcome[], missed: ReadonlySet<string>): Metrics {
  const inScope = outcomes.filter((o) => o.case.expect === "answered");
  const outOfScope = outcomes.filter((o) => o.case.expect === "escalated");
  const escalated = outcomes.filter((o) => o.result.decision === "escalated" && o.case.expect !== "any");
  const ranked = inScope.filter((o) => o.case.any.length > 0).map(firstRightRank);
  const share = (part: number, whole: number) => (whole === 0 ? 1 : part / whole);
  const latencies = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  return {
    questions: outcomes.length,
    inScope: inScope.length,
    inScopeAccuracy: share(inScope.filter((o) => !missed.has(o.case.id)).length, inScope.length),
    outOfScope: outOfScope.length,
    escalationRecall: share(outOfScope.filter((o) => o.result.decision === "escalated").length, outOfScope.length),
    escalationPrecision: share(escalated.filter((o) => o.case.expect === "escalated").length, escalated.length),
    hitAt1: share(ranked.filter((rank) => rank === 1).length, ranked.length),
    hitAt3: share(ranked.filter((rank) => rank > 0 && rank <= 3).length, ranked.length),
    mrr: share(ranked.reduce((sum, rank) => sum + (rank > 0 ? 1 / rank : 0), 0), ranked.length),
    latencyP50: percentile(latencies, 0.5),
    latencyP95: percentile(latencies, 0.95),
  };
}

/** 1-based rank of the first retrieved entry whose passage holds an expected phrase; 0 when none does. */
function firstRightRank(outcome: EvalOutcome): number {
  const entries: string[] = [];
  const texts = new Map<string, string>();
  for (const hit of outcome.result.search?.hits ?? []) {
    if (!texts.has(hit.chunk.entryId)) entries.push(hit.chunk.entryId);
    texts.set(hit.chunk.entryId, `${texts.get(hit.chunk.entryId) ?? ""}\n${hit.chunk.text}`);
  }
  const index = entries.findIndex((entry) => outcome.case.any.some((phrase) => containsPhrase(texts.get(entry) ?? "", phrase)));
  return index + 1;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0;
}
