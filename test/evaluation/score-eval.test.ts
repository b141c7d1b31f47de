import { describe, expect, it } from "vitest";
import type { AskResult } from "../../src/answer/ask-question.js";
import type { EvalCase } from "../../src/evaluation/eval-case.js";
import { containsPhrase, normalizeForMatch } from "../../src/evaluation/normalize-for-match.js";
import { scoreEval, type EvalOutcome } from "../../src/evaluation/score-eval.js";
import type { Chunk } from "../../src/knowledge/entry.js";
import type { Hit } from "../../src/retrieval/retriever.js";

const passages: Record<string, string> = {
  "cle-cout": "Coût unitaire de 25€ par utilisateur et par an.",
  "faq-contact": "Écrivez à enso@univ-paris1.fr ou déposez une demande.",
  "faq-doctorants": "L'offre n'est accessible ni dans le cadre d'une thèse ni d'un mémoire.",
  "faq-rgpd": "ENSO vous oriente vers le délégué à la protection des données.",
};

function chunk(entryId: string): Chunk {
  return { id: `${entryId}#1`, entryId, title: entryId, lang: "fr", document: "FAQ ENSO", tags: [], questions: [], questionsByLanguage: { fr: [], en: [] }, text: passages[entryId] ?? "" };
}

function hit(entryId: string, rank: number): Hit {
  return { chunk: chunk(entryId), matchedTerms: [], fused: 1 / rank, scores: { bm25: 1, vector: 0.5, coverage: 0.5, questionCoverage: 0.5, bm25Rank: rank, vectorRank: rank } };
}

/** An outcome built by hand: `found` lists the retrieved entries in rank order; an answer cites the first. */
function outcome(evalCase: Partial<EvalCase> & Pick<EvalCase, "id" | "q" | "expect">, decision: AskResult["decision"], found: string[], text = "Voici ce qu'en dit la source."): EvalOutcome {
  const hits = found.map((entryId, index) => hit(entryId, index + 1));
  const answered = decision === "answered";
  const result: AskResult = {
    decision,
    reason: answered ? "confident" : "low_confidence",
    language: "fr",
    text: answered ? `${text}\n\n> ${hits[0]?.chunk.text ?? ""}` : "Je ne trouve pas de réponse sûre. Écrivez à enso@univ-paris1.fr.",
    confidence: answered ? 0.9 : 0.2,
    citations: answered && hits[0] ? [{ id: hits[0].chunk.entryId, title: hits[0].chunk.title, source: "FAQ ENSO", lang: "fr", text: hits[0].chunk.text }] : [],
    search: { language: "fr", terms: [], hits },
  };
  return { case: { any: [], none: [], ...evalCase }, result, ms: 5 };
}

describe("normalizeForMatch and containsPhrase", () => {
  it("folds case, accents and punctuation", () => {
    expect(normalizeForMatch("Coût unitaire de 25€").trim()).toBe("cout unitaire de 25");
    expect(normalizeForMatch("L'équipe d’ENSO !").trim()).toBe("l equipe d enso");
  });

  it("finds a phrase whatever its accents and punctuation", () => {
    expect(containsPhrase("Coût unitaire de 25€", "cout unitaire de 25")).toBe(true);
    expect(containsPhrase("ni dans le cadre d'une thèse", "le cadre d une these")).toBe(true);
  });

  it("matches whole words only", () => {
    expect(containsPhrase("Coût unitaire de 250€", "cout unitaire de 25")).toBe(false);
    expect(containsPhrase("les doctorants", "doctorant")).toBe(false);
    expect(containsPhrase("ENSO accompagne", "ENS")).toBe(false);
  });

  it("never matches an empty phrase", () => {
    expect(containsPhrase("du texte", "")).toBe(false);
    expect(containsPhrase("du texte", " ?! ")).toBe(false);
  });
});

describe("scoreEval", () => {
  const outcomes = [
    outcome({ id: "right-first", q: "Combien coûte CLE ?", expect: "answered", any: ["cout unitaire de 25"] }, "answered", ["cle-cout", "faq-contact"]),
    outcome({ id: "right-third", q: "Combien coûte CLE par utilisateur ?", expect: "answered", any: ["cout unitaire de 25"] }, "answered", ["faq-contact", "faq-rgpd", "cle-cout"]),
    outcome({ id: "wrongly-escalated", q: "Un doctorant a-t-il accès à ENSO ?", expect: "answered", any: ["le cadre d une these"] }, "escalated", ["faq-contact"]),
    outcome({ id: "says-forbidden", q: "ENSO est-il ouvert ?", expect: "answered", none: ["ENSO est fermé"] }, "answered", ["faq-contact"], "ENSO est fermé, voyez plutôt :"),
    outcome({ id: "rightly-escalated", q: "Quel temps fera-t-il demain ?", expect: "escalated" }, "escalated", []),
    outcome({ id: "wrongly-answered", q: "Où déjeuner près de la Sorbonne ?", expect: "escalated" }, "answered", ["faq-rgpd"]),
    outcome({ id: "either-way", q: "What is ENSO's email address?", expect: "any", any: ["enso univ paris1 fr"] }, "escalated", ["faq-contact"]),
  ];
  const report = scoreEval(outcomes);

  it("counts in-scope accuracy over the questions that should be answered", () => {
    expect(report.all.questions).toBe(7);
    expect(report.all.inScope).toBe(4);
    expect(report.all.inScopeAccuracy).toBe(1 / 4);
  });

  it("counts escalation recall and precision, leaving out questions where either decision is fine", () => {
    expect(report.all.outOfScope).toBe(2);
    expect(report.all.escalationRecall).toBe(1 / 2);
    expect(report.all.escalationPrecision).toBe(1 / 2);
  });

  it("ranks the first retrieved entry holding an expected phrase: hit@1, hit@3 and MRR", () => {
    expect(report.all.hitAt1).toBe(1 / 3);
    expect(report.all.hitAt3).toBe(2 / 3);
    expect(report.all.mrr).toBeCloseTo((1 + 1 / 3 + 0) / 3, 10);
  });

  it("lists each miss with what was expected, what happened and why", () => {
    expect(report.misses.map((miss) => miss.id)).toEqual(["right-third", "wrongly-escalated", "says-forbidden", "wrongly-answered"]);
    const why = Object.fromEntries(report.misses.map((miss) => [miss.id, miss.why]));
    expect(why["right-third"]).toMatch(/faq-contact.*none of the expected phrases/);
    expect(why["wrongly-escalated"]).toMatch(/^escalated \(low_confidence/);
    expect(why["says-forbidden"]).toBe('the answer says "ENSO est fermé"');
    expect(why["wrongly-answered"]).toMatch(/answered with faq-rgpd/);
    expect(report.misses.find((miss) => miss.id === "wrongly-answered")).toMatchObject({ expected: "escalated", got: "answered", q: "Où déjeuner près de la Sorbonne ?" });
  });

  it("counts a forbidden phrase in the answer as a miss even when the passage is right", () => {
    const single = scoreEval([outcome({ id: "closed", q: "Combien coûte CLE ?", expect: "answered", any: ["cout unitaire de 25"], none: ["ENSO est ferme"] }, "answered", ["cle-cout"], "ENSO est fermé.")]);
    expect(single.misses.map((miss) => miss.why)).toEqual(['the answer says "ENSO est ferme"']);
    expect(single.all.inScopeAccuracy).toBe(0);
    expect(single.all.hitAt1).toBe(1);
  });

  it("splits the figures by the language of the question", () => {
    expect(report.byLanguage.en.questions).toBe(1);
    expect(report.byLanguage.fr.questions).toBe(6);
    expect(report.byLanguage.fr.inScopeAccuracy).toBe(1 / 4);
  });

  it("scores a perfect run as perfect", () => {
    const perfect = scoreEval([outcomes[0] as EvalOutcome, outcomes[4] as EvalOutcome]);
    expect(perfect.misses).toEqual([]);
    expect(perfect.all).toMatchObject({ inScopeAccuracy: 1, escalationRecall: 1, escalationPrecision: 1, hitAt1: 1, hitAt3: 1, mrr: 1 });
  });
});
