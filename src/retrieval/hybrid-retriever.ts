import { detectLanguage } from "../knowledge/detect-language.js";
import { analyzeQuery, compileGlossary, type CompiledGlossary } from "./analyze-query.js";
import { fitEmbedder, type Embedder } from "./embedder.js";
import { fuseRanks } from "./fuse-ranks.js";
import type { Hit, QueryWord, Retriever, SearchResult } from "./retriever.js";
import type { SearchIndex } from "./search-index.js";

/**
 * BM25 and vector search over the same passages, fused by reciprocal rank. Each hit keeps every
 * retriever's own score and the weighted share of the question's words it contains, which is what
 * the decision policy reads: the fused score only orders.
 */
export class HybridRetriever implements Retriever {
  private readonly glossary: CompiledGlossary;

  private readonly embedder: Embedder;

  /** `onVectorFailure`: told when the embedder fails (the search then runs on BM25 alone). */
  constructor(
    private readonly index: SearchIndex,
    embedder: Embedder,
    private readonly onVectorFailure?: (error: unknown) => void,
  ) {
    this.glossary = compileGlossary(index.glossary);
    this.embedder = fitEmbedder(embedder, (stems) => index.lexical.weight(stems));
  }

  async search(question: string, k: number): Promise<SearchResult> {
    const language = detectLanguage(question);
    const query = analyzeQuery(question, this.glossary, language);
    const lexicon = this.index.lexical;
    const readings = query.terms.map((term) => [...term.stems, ...term.expansions]);
    // Known: in a passage ENSO answers from; a word only the topics of other services hold is not.
    const inEnsoPassage = (stem: string) => Array.prototype.some.call(lexicon.passagesWith(stem), (key: number) => this.index.chunks[key]?.outside !== true);
    const terms = query.terms.map((term, i) => ({ text: term.text, weight: lexicon.weight(readings[i] ?? []), known: (readings[i] ?? []).some(inEnsoPassage) }));
    if (terms.length === 0) return { language, terms, hits: [] };

    const depth = Math.max(k * 3, 20);
    const lexical = this.index.lexical.query(question, query.expansionWords, depth, language);
    // A failing embedding provider leaves lexical search: answers degrade, they do not stop.
    let nearest: ReturnType<SearchIndex["vectors"]["query"]> = [];
    let vector: number[] | undefined;
    try {
      vector = await this.embedder.embedQuery(question);
      nearest = this.index.vectors.query(vector, depth);
    } catch (error) {
      this.onVectorFailure?.(error);
    }

    const lexicalByKey = new Map(lexical.map((hit, rank) => [hit.key, { hit, rank: rank + 1 }]));
    const vectorByKey = new Map(nearest.map((hit, rank) => [hit.key, { similarity: hit.similarity, rank: rank + 1 }]));
    const matchedOf = (key: number, where: "matched" | "matchedInQuestions" = "matched") => {
      const matched = lexicalByKey.get(key)?.hit[where];
      return matched ? terms.filter((_, i) => (readings[i] ?? []).some((stem) => matched.has(stem))).map((term) => term.text) : [];
    };
    const coverageOf = new Map(lexical.map((hit) => [hit.key, weightedShare(terms, matchedOf(hit.key))]));
    // A third ranking, by the weighted share of the question found: BM25 alone lets a passage that
    // repeats the question's commonest words outrank the one holding its rarest word.
    // Ties (common with short questions) go to the passage closer in vector space, so that this
    // list does not merely repeat the BM25 order.
    const closeness = (key: number) => vectorByKey.get(key)?.similarity ?? 0;
    const byCoverage = [...coverageOf].sort((a, b) => b[1] - a[1] || closeness(b[0]) - closeness(a[0])).map(([key]) => key);
    // BM25 scores equal to two significant digits are a tie (a one-word question scores many passages alike):
    // those too are ordered by closeness rather than by chance.
    const byBm25 = [...lexical].sort((a, b) => roundTo2(b.score) - roundTo2(a.score) || closeness(b.key) - closeness(a.key)).map((hit) => hit.key);
    const fused = fuseRanks([byBm25, nearest.map((hit) => hit.key), byCoverage], [1, 0.5, 1]);
    // Two retrievers of different kinds putting the same passage first (BM25 by its own score, not
    // the tie-broken order above) outweigh the third list: that passage leads, whatever k is (the
    // coverage list alone can otherwise lift one that merely shares more of the question's common words).
    const agreed = lexical[0] !== undefined && lexical[0].key === nearest[0]?.key ? fused.findIndex(([key]) => key === lexical[0]?.key) : -1;
    if (agreed > 0) fused.unshift(...fused.splice(agreed, 1));
    const hits: Hit[] = fused.slice(0, k).map(([key, score]) => {
      const chunk = this.index.chunks[key];
      if (!chunk) throw new Error(`the index has no passage ${key}`);
      const fromLexical = lexicalByKey.get(key);
      const fromVector = vectorByKey.get(key);
      const matchedTerms = matchedOf(key);
      return {
        chunk,
        matchedTerms,
        fused: score,
        scores: {
          bm25: fromLexical?.hit.score ?? 0,
          vector: fromVector?.similarity ?? (vector ? this.index.vectors.similarityTo(vector, key) : 0),
          coverage: coverageOf.get(key) ?? 0,
          questionCoverage: weightedShare(terms, matchedOf(key, "matchedInQuestions")),
          ...(fromLexical ? { bm25Rank: fromLexical.rank } : {}),
          ...(fromVector ? { vectorRank: fromVector.rank } : {}),
        },
      };
    });
    return { language, terms, hits };
  }
}

/** Share of the question's words found, each weighted by its rarity in the corpus, in [0, 1]. */
export function weightedShare(terms: readonly QueryWord[], found: Iterable<string>): number {
  const have = new Set(found);
  let total = 0;
  let share = 0;
  for (const term of terms) {
    total += term.weight;
    if (have.has(term.text)) share += term.weight;
  }
  return total > 0 ? share / total : 0;
}

const roundTo2 = (value: number) => Number(value.toPrecision(2));
