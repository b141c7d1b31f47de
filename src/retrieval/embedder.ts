import type { EmbeddingsInterface } from "@langchain/core/embeddings";

/**
 * The port for turning text into vectors: LangChain's Embeddings plus the identity the index
 * manifest records, so that a change of embedder rebuilds the index.
 *
 * @example const vector = await embedder.embedQuery("Qui peut contacter ENSO ?");
 */
export interface Embedder extends EmbeddingsInterface {
  /** Stable identifier of the model and its settings, e.g. "builtin-hashed-ngrams-v1-512". */
  readonly id: string;
  readonly dimensions: number;
}

/** How much a word counts, from its stems (e.g. its inverse document frequency in the corpus). */
export type TermWeight = (stems: readonly string[]) => number;

/** An embedder that adapts to the corpus it indexes (the built-in one weighs words by rarity). */
export interface CorpusAwareEmbedder extends Embedder {
  fitted(termWeight: TermWeight): Embedder;
}

/** The embedder fitted to a corpus's word weights when it can be, else as it is. */
export function fitEmbedder(embedder: Embedder, termWeight: TermWeight): Embedder {
  return "fitted" in embedder && typeof embedder.fitted === "function" ? (embedder as CorpusAwareEmbedder).fitted(termWeight) : embedder;
}
