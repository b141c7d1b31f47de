import { describe, expect, it } from "vitest";
import { confidenceOf, decide } from "../../src/answer/decision-policy.js";
import type { Chunk } from "../../src/knowledge/entry.js";
import type { Hit, SearchResult } from "../../src/retrieval/retriever.js";

const chunk = (entryId: string): Chunk => ({ id: `${entryId}#1`, entryId, title: entryId, lang: "fr", document: "FAQ ENSO", tags: ["t"], questions: [], questionsByLanguage: { fr: [], en: [] }, text: `text of ${entryId}`, ...(entryId.startsWith("hp-") ? { outside: true } : {}) });

function hit(entryId: string, scores: Partial<Hit["scores"]>, matchedTerms: string[], ranks = { bm25Rank: 1, vectorRank: 1 }): Hit {
  return { chunk: chunk(entryId), matchedTerms, fused: 0.03, scores: { bm25: 10, vector: 0.5, coverage: 0, questionCoverage: 0, ...ranks, ...scores } };
}

/** A search where ENSO's entry alone would be answered with confidence. */
const confident = (entryId = "faq-doctorants") => hit(entryId, { coverage: 1, questionCoverage: 1, vector: 0.7, bm25: 40 }, ["doctorant", "thèse", "enso"]);

const terms = [
  { text: "doctorant", weight: 3, known: true },
  { text: "thèse", weight: 3, known: true },
  { text: "enso", weight: 0.5, known: true },
];

describe("the decision policy", () => {
  it("answers when the best passage holds the question's rare words and resembles it", () => {
    const search: SearchResult = { language: "fr", terms, hits: [hit("faq-doctorants", { coverage: 1, questionCoverage: 1, vector: 0.7, bm25: 40 }, ["doctorant", "thèse", "enso"]), hit("faq-limites", { coverage: 0.1, vector: 0.3 }, ["enso"], { bm25Rank: 2, vectorRank: 2 })] };
    const decision = decide(search, 0.6);
    expect(decision.answered).toBe(true);
    expect(decision.passages.map((p) => p.chunk.entryId)).toEqual(["faq-doctorants"]);
  });

  it("escalates as out of scope when the question's words are unknown to the corpus", () => {
    const unknown = [{ text: "météo", weight: 4.7, known: false }, { text: "demain", weight: 4.7, known: false }, { text: "enso", weight: 0.5, known: true }];
    const search: SearchResult = { language: "fr", terms: unknown, hits: [hit("faq-quest-ce-que-enso", { coverage: 0.05, vector: 0.2, bm25: 2 }, ["enso"])] };
    const decision = decide(search, 0.6);
    expect(decision.answered).toBe(false);
    expect(decision.outOfScope).toBe(true);
  });

  it("quotes a second passage from another entry when it covers what the first misses", () => {
    const search: SearchResult = {
      language: "fr",
      terms,
      hits: [hit("faq-doctorants", { coverage: 0.55, vector: 0.7, bm25: 30 }, ["doctorant", "enso"]), hit("faq-theses", { coverage: 0.5, vector: 0.5, bm25: 20 }, ["thèse"], { bm25Rank: 2, vectorRank: 2 })],
    };
    expect(decide(search, 0.1).passages.map((p) => p.chunk.entryId)).toEqual(["faq-doctorants", "faq-theses"]);
  });

  it("escalates as out of scope, naming the topic, when a topic of another service comes first", () => {
    const search: SearchResult = { language: "fr", terms, hits: [hit("hp-ecoles-doctorales", { coverage: 1, vector: 0.8 }, ["doctorant", "thèse"]), confident()] };
    const decision = decide(search, 0.1);
    expect(decision.answered).toBe(false);
    expect(decision.outOfScope).toBe(true);
    expect(decision.elsewhere?.chunk.entryId).toBe("hp-ecoles-doctorales");
    expect(decision.passages).toEqual([]);
  });

  it("names no service when the topic first in the search holds too little of the question, or less than ENSO's passage", () => {
    const first = (outsideCoverage: number, ensoCoverage: number): SearchResult => ({
      language: "fr",
      terms,
      hits: [hit("hp-vie-campus", { coverage: outsideCoverage, vector: 0.3 }, ["thèse"]), hit("faq-doctorants", { coverage: ensoCoverage, questionCoverage: ensoCoverage, vector: 0.7, bm25: 40 }, ["doctorant"], { bm25Rank: 2, vectorRank: 2 })],
    });
    // Nearest in vector space with none of the question's words ("What's the capital of Australia?").
    expect(decide(first(0, 0), 0.1).elsewhere).toBeUndefined();
    expect(decide(first(0.15, 0.1), 0.1).elsewhere).toBeUndefined();
    expect(decide(first(0.4, 0.5), 0.1).elsewhere).toBeUndefined();
    expect(decide(first(0.5, 0.4), 0.1).elsewhere?.chunk.entryId).toBe("hp-vie-campus");
  });

  it("does not let a topic of another service below ENSO's best passage take the question", () => {
    const search: SearchResult = {
      language: "fr",
      terms,
      hits: [hit("faq-doctorants", { coverage: 0.5, questionCoverage: 0.5, vector: 0.7, bm25: 40 }, ["doctorant"]), hit("hp-rh", { coverage: 1, vector: 0.3 }, ["doctorant", "thèse", "enso"], { bm25Rank: 2, vectorRank: 2 })],
    };
    const decision = decide(search, 0.1);
    expect(decision.elsewhere).toBeUndefined();
    expect(decision.answered).toBe(true);
    expect(decision.passages.map((p) => p.chunk.entryId)).toEqual(["faq-doctorants"]);
  });

  it("never quotes a topic of another service, even as the second passage", () => {
    const search: SearchResult = {
      language: "fr",
      terms,
      hits: [hit("faq-doctorants", { coverage: 0.55, vector: 0.7, bm25: 30 }, ["doctorant", "enso"]), hit("hp-scolarite", { coverage: 0.5, vector: 0.69, bm25: 29 }, ["thèse"], { bm25Rank: 2, vectorRank: 2 }), hit("faq-theses", { coverage: 0.5, vector: 0.5, bm25: 20 }, ["thèse"], { bm25Rank: 3, vectorRank: 3 })],
    };
    expect(decide(search, 0.1).passages.map((p) => p.chunk.entryId)).toEqual(["faq-doctorants", "faq-theses"]);
  });

  it("grows with coverage and similarity", () => {
    const base = { coverage: 0.3, questionCoverage: 0.3, similarity: 0.3, lexical: 3, known: 1, margin: 0.1, agreement: 0 };
    expect(confidenceOf({ ...base, coverage: 0.9 })).toBeGreaterThan(confidenceOf(base));
    expect(confidenceOf({ ...base, similarity: 0.8 })).toBeGreaterThan(confidenceOf(base));
  });
});
