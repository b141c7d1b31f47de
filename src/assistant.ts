import type { Logger } from "pino";
import type { Turn } from "./answer/answer.js";
import { askQuestion, type AskResult } from "./answer/ask-question.js";
import type { Answerer } from "./answer/answer.js";
import { ExtractiveAnswerer } from "./answer/extractive-answerer.js";
import { GroundedAnswerer } from "./answer/grounded-answerer.js";
import { createChatModel } from "./answer/providers/create-chat-model.js";
import type { Embedder } from "./retrieval/embedder.js";
import { createProviderEmbedder } from "./retrieval/provider-embeddings.js";
import type { Config } from "./config.js";
import { HashedNgramEmbeddings } from "./retrieval/hashed-ngram-embeddings.js";
import { HybridRetriever } from "./retrieval/hybrid-retriever.js";
import { openIndex } from "./retrieval/open-index.js";
import type { SearchIndex } from "./retrieval/search-index.js";

/** The assembled question-answering core that every channel and the CLI share. */
export interface Assistant {
  readonly index: SearchIndex;
  /** `onToken` gets the answer so far while a model writes it (never called by the offline answerer). */
  ask(question: string, history?: readonly Turn[], onToken?: (textSoFar: string) => void): Promise<AskResult>;
}

/**
 * Wires the assistant: the corpus index (rebuilt when stale or when the embedder changes), hybrid
 * retrieval, and the answerer. Offline by default (built-in embedder, extractive answerer); a
 * configured embedding provider and chat model (LLM_PROVIDER) replace them, with the extractive
 * answerer kept as the model's fallback.
 */
export async function createAssistant(config: Config, log: Logger, options: { forceIndex?: boolean; onProgress?: (done: number, total: number) => void } = {}): Promise<Assistant> {
  const embedder: Embedder = config.embeddings ? await createProviderEmbedder(config.embeddings) : new HashedNgramEmbeddings();
  const index = await openIndex({ corpusDir: config.corpusDir, dataDir: config.dataDir, efSearch: config.hnswEf, embedder, log, force: options.forceIndex ?? false, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  const contact = { email: config.contactEmail, requestFormUrl: config.requestFormUrl };
  const extractive = new ExtractiveAnswerer({ threshold: config.answerThreshold, contact });
  const answerer: Answerer = config.llm
    ? new GroundedAnswerer({ model: createChatModel(config.llm), fallback: extractive, threshold: config.answerThreshold, minConfidence: config.llm.minConfidence, contact, timeoutMs: config.llm.timeoutMs, log, provider: `${config.llm.provider}:${config.llm.model}` })
    : extractive;
  if (config.llm) log.info({ provider: config.llm.provider, model: config.llm.model }, "answers written by a model, grounded in the corpus");
  const deps = {
    retriever: new HybridRetriever(index, embedder, (error) => log.warn({ error: (error as Error).message?.slice(0, 200) }, "the embedding model failed: this question is searched by words only")),
    answerer,
    contact,
    maxQuestionChars: config.maxQuestionChars,
    searchK: config.searchK,
    log,
  };
  return { index, ask: (question, history = [], onToken) => askQuestion(question, deps, history, onToken) };
}
