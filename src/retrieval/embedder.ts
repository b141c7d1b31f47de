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
