import type { Chunk } from "../knowledge/entry.js";
import type { Language } from "../knowledge/detect-language.js";

/** What each retriever said of a passage, in its own units. */
export interface HitScores {
  /** BM25 score (0 when the lexical search did not return the passage). */
  readonly bm25: number;
  /** Cosine similarity of the passage's closest vector to the question. */
  readonly vector: number;
  /** Share of the question's meaningful words found in the passage, weighted by how rare each word is, in [0, 1]. */
  readonly coverage: number;
  /** The same share, counting only the entry's title and alternate questions. */
  readonly questionCoverage: number;
  /** 1-based ranks in each list; undefined when the list did not return the passage. */
  readonly bm25Rank?: number;
  readonly vectorRank?: number;
}

export interface Hit {
  readonly chunk: Chunk;
  /** The question's meaningful words this passage contains (directly or through the glossary). */
  readonly matchedTerms: readonly string[];
  /** The reciprocal-rank-fusion score: for ordering only. */
  readonly fused: number;
  readonly scores: HitScores;
}

export interface QueryWord {
  readonly text: string;
  readonly weight: number;
  readonly known: boolean;
}

export interface SearchResult {
  readonly language: Language;
  /** The question's meaningful words with their weight (rarity in the corpus); `known` is false when no passage ENSO answers from contains them. */
  readonly terms: readonly QueryWord[];
  readonly hits: readonly Hit[];
}

/**
 * The port the answerers read passages through.
 *
 * @example const { hits } = await retriever.search("Qui peut contacter ENSO ?", 5);
 */
export interface Retriever {
  search(question: string, k: number): Promise<SearchResult>;
}
