import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import type { Chunk } from "../knowledge/entry.js";
import type { Glossary } from "../knowledge/glossary.js";
import { fitEmbedder, type Embedder } from "./embedder.js";
import { LexicalIndex } from "./lexical-index.js";
import { VectorIndex, VectorIndexBuilder, type VectorIndexSettings } from "./vector-index.js";

/** Bumped when the files below change shape. */
export const INDEX_FORMAT = 2;

export const manifestSchema = z.object({
  format: z.number(),
  corpusHash: z.string(),
  embedder: z.object({ id: z.string(), dimensions: z.number() }),
  hnsw: z.object({ m: z.number(), efConstruction: z.number() }),
  chunks: z.number(),
  vectors: z.number(),
  builtAt: z.string(),
});
export type Manifest = z.infer<typeof manifestSchema>;

const VECTORS_FILE = "vectors.hnsw";

/** Everything a search needs, in memory. */
export interface SearchIndex {
  readonly manifest: Manifest;
  readonly chunks: readonly Chunk[];
  readonly glossary: Glossary;
  readonly lexical: LexicalIndex;
  readonly vectors: VectorIndex;
}

/**
 * efConstruction 64 with a search breadth (ENSO_HNSW_EF) of 200 (npm run bench, 2026-11-23, the
 * graph built in a thread beside the embedding): at 10k passages a 17.9 s build and recall@10
 * 0.9965; at 50k, 107 s and 0.9795 (0.9905 with ENSO_HNSW_EF=400). efConstruction 100 gave
 * 0.9995 / 0.9885 but a 26.5 s build at 10k; 50 dropped recall@10 to 0.938 at 50k.
 */
export const defaultHnsw = { m: 16, efConstruction: 64 };

/**
 * The texts that stand for a passage in vector space: its title with its text, and each alternate
 * question. (A separate title vector changed no answer of either question set, and cost a
 * quarter of the graph's build time at 10k passages.)
 */
export function vectorTexts(chunk: Chunk): string[] {
  return [`${chunk.title}\n${chunk.text}`, ...chunk.questions];
}

/**
 * Builds both indexes over the passages. `onProgress(done, total)` is called as vectors are made.
 */
export async function buildSearchIndex(
  input: { chunks: readonly Chunk[]; glossary: Glossary; corpusHash: string },
  embedder: Embedder,
  settings: { efSearch: number; hnsw?: { m: number; efConstruction: number }; /** Build the graph in a thread of its own; default: for large corpora (see buildsInThread). */ thread?: boolean },
  onProgress: (done: number, total: number) => void = () => {},
): Promise<SearchIndex> {
  const hnsw = settings.hnsw ?? defaultHnsw;
  const lexical = LexicalIndex.build(input.chunks);
  const fittedEmbedder = fitEmbedder(embedder, (stems) => lexical.weight(stems));
  const texts: string[] = [];
  const owners: number[] = [];
  input.chunks.forEach((chunk, key) => {
    for (const text of vectorTexts(chunk)) {
      texts.push(text);
      owners.push(key);
    }
  });
  const vectorSettings: VectorIndexSettings = { dimensions: embedder.dimensions, m: hnsw.m, efConstruction: hnsw.efConstruction, efSearch: settings.efSearch };
  const builder = new VectorIndexBuilder(owners, vectorSettings, settings.thread);
  let vectors: VectorIndex;
  try {
    const batch = 512;
    for (let start = 0; start < texts.length; start += batch) {
      builder.add(start, await fittedEmbedder.embedDocuments(texts.slice(start, start + batch)));
      onProgress(Math.min(texts.length, start + batch), texts.length);
    }
    vectors = await builder.finish();
  } catch (error) {
    await builder.abort();
    throw error;
  }
  return {
    manifest: {
      format: INDEX_FORMAT,
      corpusHash: input.corpusHash,
      embedder: { id: embedder.id, dimensions: embedder.dimensions },
      hnsw,
      chunks: input.chunks.length,
      vectors: vectors.vectorCount,
      builtAt: new Date().toISOString(),
    },
    chunks: input.chunks,
    glossary: input.glossary,
    lexical,
    vectors,
  };
}

/**
 * Writes the index to `dir` atomically: into a sibling folder first, then swapped in, so that a
 * crash or a full disk never leaves a half-written index where the previous one was.
 */
export function writeSearchIndex(index: SearchIndex, dir: string): void {
  const staging = `${dir}.staging-${process.pid}`;
  const previous = `${dir}.previous-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  rmSync(previous, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, "chunks.json"), JSON.stringify({ chunks: index.chunks, glossary: index.glossary, owners: index.vectors.labelOwners }));
  writeFileSync(join(staging, "lexical.json"), index.lexical.toJSON());
  index.vectors.write(join(staging, VECTORS_FILE));
  writeFileSync(join(staging, "manifest.json"), `${JSON.stringify(index.manifest, null, 2)}\n`);
  if (existsSync(dir)) renameSync(dir, previous);
  renameSync(staging, dir);
  rmSync(previous, { recursive: true, force: true });
}

/**
 * Tidies what an interrupted write left beside the index: staging folders are dropped, and when
 * the index itself is missing (a crash between the two renames) the newest previous one is put back.
 */
export function recoverSearchIndex(dir: string): void {
  const parent = dirname(dir);
  if (!existsSync(parent)) return;
  const siblings = readdirSync(parent).filter((name) => name.startsWith(`${basename(dir)}.`));
  for (const name of siblings.filter((n) => n.includes(".staging-"))) rmSync(join(parent, name), { recursive: true, force: true });
  const previous = siblings
    .filter((name) => name.includes(".previous-"))
    .map((name) => join(parent, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const [newest, ...older] = previous;
  if (newest && !existsSync(dir)) renameSync(newest, dir);
  else if (newest) rmSync(newest, { recursive: true, force: true });
  for (const path of older) rmSync(path, { recursive: true, force: true });
}

/** Reads the manifest alone (cheap), or undefined when there is none or it is unreadable. */
export function readManifest(dir: string): Manifest | undefined {
  try {
    return manifestSchema.parse(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")));
  } catch {
    return undefined;
  }
}

/** Reads a whole index written by writeSearchIndex; throws when a file is missing or corrupt. */
export function readSearchIndex(dir: string, efSearch: number): SearchIndex {
  const manifest = readManifest(dir);
  if (!manifest) throw new Error("the index has no readable manifest");
  const { chunks, glossary, owners } = JSON.parse(readFileSync(join(dir, "chunks.json"), "utf8")) as { chunks: Chunk[]; glossary: Glossary; owners: number[] };
  if (chunks.length !== manifest.chunks || owners.length !== manifest.vectors) throw new Error("the index files do not match their manifest");
  const settings = { dimensions: manifest.embedder.dimensions, m: manifest.hnsw.m, efConstruction: manifest.hnsw.efConstruction, efSearch };
  return {
    manifest,
    chunks,
    glossary,
    lexical: LexicalIndex.fromJSON(readFileSync(join(dir, "lexical.json"), "utf8")),
    vectors: VectorIndex.read(join(dir, VECTORS_FILE), owners, settings),
  };
}
