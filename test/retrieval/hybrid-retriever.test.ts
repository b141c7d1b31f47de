import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { HashedNgramEmbeddings } from "../../src/retrieval/hashed-ngram-embeddings.js";
import { HybridRetriever } from "../../src/retrieval/hybrid-retriever.js";
import { openIndex } from "../../src/retrieval/open-index.js";

let retriever: HybridRetriever;
const dataDir = mkdtempSync(join(tmpdir(), "enso-retrieval-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

beforeAll(async () => {
  const config = loadConfig({ ENSO_DATA_DIR: dataDir, LOG_LEVEL: "silent" });
  const embedder = new HashedNgramEmbeddings();
  const index = await openIndex({ corpusDir: config.corpusDir, dataDir: config.dataDir, efSearch: config.hnswEf, embedder, log: createLogger(config) });
  retriever = new HybridRetriever(index, embedder);
});

const firstEntry = async (question: string) => (await retriever.search(question, 5)).hits[0]?.chunk.entryId;

describe("hybrid retrieval over the bundled corpus", () => {
  it("finds the FAQ entry of a French question phrased differently from its title", async () => {
    expect(await firstEntry("Un doctorant peut-il se faire aider par ENSO pour sa thèse ?")).toBe("faq-doctorants");
    expect(await firstEntry("ENSO donne-t-il de l'argent aux projets ?")).toBe("faq-financements");
  });

  it("reaches French passages from English questions", async () => {
    expect(await firstEntry("Can PhD students get help from ENSO?")).toBe("faq-doctorants");
    expect(await firstEntry("Does ENSO host websites?")).toBe("faq-hebergement-site-web");
    expect(await firstEntry("How much do the FIDO2 keys cost for the lab notebook?")).toBe("cle-cout-unites");
  });

  it("reaches the English Science Ensemble guide from a French question", async () => {
    expect(await firstEntry("Qui peut rejoindre le réseau Science Ensemble ?")).toMatch(/^se-/);
  });

  it("folds accents and elisions, so a question typed without them finds the same entry", async () => {
    expect(await firstEntry("l'hebergement d'un site web par ENSO")).toBe(await firstEntry("L'hébergement d'un site web par ENSO"));
  });

  it("keeps each retriever's own scores and the share of the question found", async () => {
    const result = await retriever.search("Qui peut contacter ENSO ?", 5);
    const best = result.hits[0];
    expect(best?.scores.bm25).toBeGreaterThan(0);
    expect(best?.scores.vector).toBeGreaterThan(0);
    expect(best?.scores.coverage).toBeGreaterThan(0.5);
    expect(best?.scores.coverage).toBeLessThanOrEqual(1);
  });

  it("marks words no passage contains as unknown", async () => {
    const result = await retriever.search("Quel temps fera-t-il demain à Tolbiac ?", 5);
    expect(result.terms.filter((term) => !term.known).map((term) => term.text)).toContain("tolbiac");
  });

  it("counts as unknown a word that only the topics of other services hold", async () => {
    const result = await retriever.search("Qui remet du papier et du toner dans l'imprimante de l'étage ?", 20);
    expect(result.terms.find((term) => term.text === "imprimante")?.known).toBe(false);
    expect(result.hits.some((hit) => hit.chunk.entryId === "hp-support-informatique" && hit.chunk.outside === true && hit.matchedTerms.includes("imprimante"))).toBe(true);
  });

  it("puts first the passage BM25 and the vectors both rank first", async () => {
    // "Paris 1" and "ENSO" make the eligibility entry share more of the question's words; both
    // retrievers still rank the PhD entry first, and so must the answer.
    const result = await retriever.search("Doctoral candidate at Paris 1 here: is ENSO open to me for my dissertation?", 10);
    const lexicalFirst = result.hits.find((hit) => hit.scores.bm25Rank === 1);
    const vectorFirst = result.hits.find((hit) => hit.scores.vectorRank === 1);
    expect(lexicalFirst?.chunk.entryId).toBe("faq-doctorants");
    expect(vectorFirst?.chunk.entryId).toBe("faq-doctorants");
    expect(result.hits[0]?.chunk.entryId).toBe("faq-doctorants");
    // However few passages are asked for.
    expect((await retriever.search("Doctoral candidate at Paris 1 here: is ENSO open to me for my dissertation?", 1)).hits.map((hit) => hit.chunk.entryId)).toEqual(["faq-doctorants"]);
  });

  it("keeps an unaccented French word that spells an English function word (\"these\" for \"thèse\")", async () => {
    const result = await retriever.search("je suis en these, enso peut m'aider pour la base de donnees de ma these ?", 5);
    expect(result.terms.map((term) => term.text)).toContain("these");
    expect(result.hits[0]?.chunk.entryId).toBe("faq-doctorants");
  });

  it("returns no hit for a question made only of function words", async () => {
    expect((await retriever.search("est-ce que c'est ?", 5)).hits).toEqual([]);
  });
});
