import { describe, expect, it } from "vitest";
import type { Chunk } from "../../src/knowledge/entry.js";
import { LexicalIndex } from "../../src/retrieval/lexical-index.js";

function chunk(entryId: string, lang: "fr" | "en", title: string, text: string, questions: { fr?: string[]; en?: string[] } = {}): Chunk {
  const byLanguage = { fr: questions.fr ?? [], en: questions.en ?? [] };
  return { id: `${entryId}#1`, entryId, title, lang, document: "FAQ ENSO", tags: ["t"], questions: [...byLanguage.fr, ...byLanguage.en], questionsByLanguage: byLanguage, text };
}

const chunks = [
  chunk("hebergement", "fr", "Hébergement d'un site web", "L'hébergement d'un site ou d'une application web est un engagement de longue durée."),
  chunk("financements", "fr", "Financements", "Aucun financement n'est accordé dans le cadre d'ENSO.", { en: ["Does ENSO give grants?"] }),
  chunk("doctorants", "fr", "Doctorants", "L'offre de service ENSO n'est accessible ni dans le cadre d'une thèse ni d'un mémoire."),
  chunk("workshops", "en", "Workshops", "Workshops are held on a regular basis and the topics are chosen collectively."),
];

describe("the BM25F index", () => {
  const index = LexicalIndex.build(chunks);
  const first = (question: string, secondary: string[] = []) => index.query(question, secondary, 3)[0]?.key;

  it("ranks first the passage holding the question's words, whatever their accents and inflection", () => {
    expect(first("heberger un site")).toBe(0);
    expect(first("les thèses des doctorants")).toBe(2);
    expect(first("workshop topics")).toBe(3);
  });

  it("finds a passage through its alternate questions and says so", () => {
    const [hit] = index.query("grants", [], 3);
    expect(hit?.key).toBe(1);
    expect([...(hit?.matchedInQuestions ?? [])]).toContain("grant");
  });

  it("reaches a passage through glossary equivalents of the question's words", () => {
    expect(index.query("funding", [], 3)).toEqual([]);
    expect(first("funding", ["financement"])).toBe(1);
  });

  it("returns at most the number of passages asked for, best first", () => {
    const hits = index.query("ENSO service", [], 1);
    expect(hits).toHaveLength(1);
    const all = index.query("ENSO service", [], 10);
    expect(all.map((hit) => hit.score)).toEqual([...all.map((hit) => hit.score)].sort((a, b) => b - a));
  });

  it("answers a question the same whatever was asked before it", () => {
    const alone = LexicalIndex.build(chunks).query("workshops", [], 4);
    index.query("ENSO thèse site web financement workshops", ["grant"], 10);
    index.query("ENSO", [], 0);
    expect(index.query("workshops", [], 4)).toEqual(alone);
  });

  it("answers the same after a round trip through its JSON form", () => {
    const copy = LexicalIndex.fromJSON(index.toJSON());
    for (const question of ["heberger un site", "thèse", "workshops", "ENSO"]) expect(copy.query(question, [], 4)).toEqual(index.query(question, [], 4));
    expect(copy.frequency("financ")).toBe(index.frequency("financ"));
  });

  it("weighs unknown words above known ones", () => {
    expect(index.weight(["zzz"])).toBeGreaterThan(index.weight(["enso"]));
  });
});
