import { OllamaEmbeddings } from "@langchain/ollama";
import { OpenAIEmbeddings } from "@langchain/openai";
import type { EmbeddingsConfig } from "../config.js";
import { CircuitBreaker } from "../circuit-breaker.js";
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
  // A question's embedding waits this long at most (Ollama's client has no timeout of its own); after
  // three failures in a row the model is not asked for a minute (the search uses words meanwhile).
  const breaker = new CircuitBreaker({ failures: 3, coolDownMs: 60_000 });
  const bounded = async <T>(work: () => Promise<T>, ms: number): Promise<T> => {
    if (!breaker.allows()) throw new Error("the embedding model is skipped for a while after repeated failures");
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([work(), new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`the embedding model did not answer within ${ms} ms`)), ms)))]);
      breaker.succeeded();
      return result;
    } catch (error) {
      breaker.failed();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };
  const probe = await bounded(() => embeddings.embedQuery("ENSO"), timeoutMs * 3);
  if (!Array.isArray(probe) || probe.length === 0) throw new Error(`the embedding model ${config.model} returned no vector`);
  return {
    id: `${config.provider}:${config.model}:${probe.length}`,
    dimensions: probe.length,
    embedQuery: (text) => bounded(() => embeddings.embedQuery(text), timeoutMs),
    embedDocuments: (texts) => embeddings.embedDocuments(texts),
  };
}
