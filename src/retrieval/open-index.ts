import { join } from "node:path";
import type { Logger } from "pino";
import { CorpusError } from "../knowledge/corpus-error.js";
import { loadCorpus } from "../knowledge/load-corpus.js";
import { splitChunks } from "../knowledge/split-chunks.js";
import type { Embedder } from "./embedder.js";
import { buildSearchIndex, defaultHnsw, INDEX_FORMAT, readManifest, readSearchIndex, recoverSearchIndex, writeSearchIndex, type Manifest, type SearchIndex } from "./search-index.js";

export interface OpenIndexOptions {
  readonly corpusDir: string;
  readonly dataDir: string;
  readonly efSearch: number;
  readonly embedder: Embedder;
  readonly log: Logger;
  /** Rebuild even when the index on disk is current (`enso index`). */
  readonly force?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Where the index lives under the data directory. */
export const indexDir = (dataDir: string) => join(dataDir, "index");

/**
 * Returns a current index: the one on disk when its manifest matches the corpus and the embedder,
 * otherwise a new one, built, written and logged with the reason. When the corpus has errors, the
 * previous index stays in use (with an error log naming each file and line); with no previous
 * index the CorpusError is thrown.
 */
export async function openIndex(options: OpenIndexOptions): Promise<SearchIndex> {
  const { log, embedder } = options;
  const dir = indexDir(options.dataDir);
  recoverSearchIndex(dir);
  let corpus;
  try {
    corpus = loadCorpus(options.corpusDir);
  } catch (error) {
    if (!(error instanceof CorpusError)) throw error;
    // A rebuild that was asked for must fail loudly; so must a previous index this embedder cannot search.
    const previous = options.force ? undefined : tryRead(dir, options.efSearch);
    if (!previous || staleReason(previous.manifest, previous.manifest.corpusHash, embedder)) throw error;
    log.error({ problems: error.problems }, `the corpus has errors; the previous index (${previous.manifest.builtAt}) stays in use. ${error.message}`);
    return previous;
  }
  const manifest = readManifest(dir);
  const reason = options.force ? "a rebuild was asked for" : staleReason(manifest, corpus.hash, embedder);
  if (!reason) {
    const current = tryRead(dir, options.efSearch);
    if (current) {
      log.debug({ chunks: current.manifest.chunks }, "index loaded");
      return current;
    }
  }
  log.info({ reason: reason ?? "the index files are unreadable" }, "building the index");
  const started = performance.now();
  const chunks = corpus.entries.flatMap(splitChunks);
  const index = await buildSearchIndex({ chunks, glossary: corpus.glossary, corpusHash: corpus.hash }, embedder, { efSearch: options.efSearch }, options.onProgress);
  writeSearchIndex(index, dir);
  log.info({ entries: corpus.entries.length, chunks: chunks.length, vectors: index.manifest.vectors, ms: Math.round(performance.now() - started) }, "index built");
  return index;
}

/** Why the index on disk cannot serve this corpus and embedder, or undefined when it can. */
export function staleReason(manifest: Manifest | undefined, corpusHash: string, embedder: Embedder): string | undefined {
  if (!manifest) return "there is no index yet";
  if (manifest.format !== INDEX_FORMAT) return `the index format changed (${manifest.format} -> ${INDEX_FORMAT})`;
  if (manifest.embedder.id !== embedder.id) return `the embedder changed (${manifest.embedder.id} -> ${embedder.id})`;
  if (manifest.embedder.dimensions !== embedder.dimensions) return `the embedding dimensions changed (${manifest.embedder.dimensions} -> ${embedder.dimensions})`;
  if (manifest.hnsw.m !== defaultHnsw.m || manifest.hnsw.efConstruction !== defaultHnsw.efConstruction) return "the HNSW settings changed";
  if (manifest.corpusHash !== corpusHash) return "the corpus changed";
  return undefined;
}

function tryRead(dir: string, efSearch: number): SearchIndex | undefined {
  try {
    return readSearchIndex(dir, efSearch);
  } catch {
    return undefined;
  }
}
