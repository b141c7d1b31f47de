import type { Logger } from "pino";
import type { Turn } from "./answer/answer.js";
import { askQuestion, type AskResult } from "./answer/ask-question.js";
import { ExtractiveAnswerer } from "./answer/extractive-answerer.js";
import type { Config } from "./config.js";
import { HashedNgramEmbeddings } from "./retrieval/hashed-ngram-embeddings.js";
import { HybridRetriever } from "./retrieval/hybrid-retriever.js";
import { openIndex } from "./retrieval/open-index.js";
import type { SearchIndex } from "./retrieval/search-index.js";

/** The assembled question-answering core that every channel and the CLI share. */
export interface Assistant {
  readonly index: SearchIndex;
  ask(question: string, history?: readonly Turn[]): Promise<AskResult>;
}

/**
 * Wires the default, offline assistant: the corpus index (rebuilt when stale), hybrid retrieval
 * with the built-in embedder, and the extractive answerer.
 */
export async function createAssistant(config: Config, log: Logger, options: { forceIndex?: boolean; onProgress?: (done: number, total: number) => void } = {}): Promise<Assistant> {
  const embedder = new HashedNgramEmbeddings();
  const index = await openIndex({ corpusDir: config.corpusDir, dataDir: config.dataDir, efSearch: config.hnswEf, embedder, log, force: options.forceIndex ?? false, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  const contact = { email: config.contactEmail, requestFormUrl: config.requestFormUrl };
  const deps = {
    retriever: new HybridRetriever(index, embedder),
    answerer: new ExtractiveAnswerer({ threshold: config.answerThreshold, contact }),
    contact,
    maxQuestionChars: config.maxQuestionChars,
    searchK: config.searchK,
    log,
  };
  return { index, ask: (question, history = []) => askQuestion(question, deps, history) };
}
