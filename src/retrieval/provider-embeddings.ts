import { OllamaEmbeddings } from "@langchain/ollama";
import { OpenAIEmbeddings } from "@langchain/openai";
import type { EmbeddingsConfig } from "../config.js";
import type { Embedder } from "./embedder.js";

/**
 * An embedding model served by a provider, behind the same port as the built-in embedder. Its id
 * (provider, model, dimensions) goes into the index manifest: changing any of them rebuilds the
 * index. The dimensions are learnt from one call at start-up.
 */
export async function createProviderEmbedder(config: EmbeddingsConfig, timeoutMs = 10_000): Promise<Embedder> {
  const embeddings =
    config.provider === "ollama"
      ? new OllamaEmbeddings({ model: config.model, baseUrl: config.baseUrl ?? "http://127.0.0.1:11434" })
      : new OpenAIEmbeddings({ model: config.model, apiKey: config.apiKey ?? "not-needed", configuration: { baseURL: config.baseUrl, timeout: timeoutMs }, maxRetries: 1 });
  // A question's embedding waits this long at most (Ollama's client has no timeout of its own).
  const bounded = <T>(work: Promise<T>, ms: number): Promise<T> =>
    Promise.race([work, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`the embedding model did not answer within ${ms} ms`)), ms).unref())]);
  const probe = await embeddings.embedQuery("ENSO");
  if (!Array.isArray(probe) || probe.length === 0) throw new Error(`the embedding model ${config.model} returned no vector`);
  return {
    id: `${config.provider}:${config.model}:${probe.length}`,
    dimensions: probe.length,
    embedQuery: (text) => bounded(embeddings.embedQuery(text), timeoutMs),
    embedDocuments: (texts) => embeddings.embedDocuments(texts),
  };
}
