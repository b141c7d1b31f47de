/**
 * Retrieval benchmark: index build time, hybrid search latency, HNSW recall against exact search,
 * memory and index size on disk, over synthetic text-like corpora of several sizes.
 *
 *   npm run build && npm run bench                        # 1,000, 10,000 and 50,000 passages
 *   node dist/bench/retrieval-bench.js --sizes 1000,10000 --queries 300 [--in-process]
 *
 * Each size runs in its own child process (`--one N --json`), so that its peak RSS is its own.
 * Figures go to stdout (a table) and to bench/results/retrieval.json.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { newStemmer } from "snowball-stemmers";
import { loadConfig } from "../src/config.js";
import type { Chunk } from "../src/knowledge/entry.js";
import type { TermWeight } from "../src/retrieval/embedder.js";
import { loadCorpus } from "../src/knowledge/load-corpus.js";
import { analyzeQuery, compileGlossary } from "../src/retrieval/analyze-query.js";
import { stemToken, tokenize } from "../src/retrieval/analyze-text.js";
import { HashedNgramEmbeddings } from "../src/retrieval/hashed-ngram-embeddings.js";
import { HybridRetriever } from "../src/retrieval/hybrid-retriever.js";
import { LexicalIndex } from "../src/retrieval/lexical-index.js";
import { buildSearchIndex, readSearchIndex, vectorTexts, writeSearchIndex } from "../src/retrieval/search-index.js";
import { VectorIndex, VectorIndexBuilder } from "../src/retrieval/vector-index.js";
import { SyntheticCorpus, vocabularyOf, type SyntheticChunk } from "./synthetic-corpus.js";

const K = 8;
const RECALL_AT = 10;
const WARMUP = 50;
const EF_SWEEP = [50, 100, 200, 400];
/** Other HNSW build settings tried on the same vectors (for sizes up to HNSW_SWEEP_MAX_SIZE). */
const HNSW_SWEEP = [
  { m: 16, efConstruction: 100 },
  { m: 16, efConstruction: 50 },
  { m: 8, efConstruction: 100 },
];
const HNSW_SWEEP_MAX_SIZE = 10_000;
const QUERY_SEED = 4242;
/** --in-process: build the vector graph in the main thread, after the embedding, instead of the default for the size. */
const IN_PROCESS = process.argv.includes("--in-process");
const WARMUP_SEED = 777;
const targets = { size: 10_000, p50Ms: 5, recall: 0.98, buildS: 20 };

interface SizeResult {
  size: number;
  chunks: number;
  vectors: number;
  efSearch: number;
  hnsw: { m: number; efConstruction: number };
  embedder: string;
  /** sourceHash: the real corpus the vocabulary was drawn from (the synthetic corpus changes with it). */
  corpus: { sourceHash: string; generateMs: number; tokens: number; distinctTokens: number; meanWordsPerChunk: number };
  /**
   * hnswS: what the HNSW graph cost the main thread (all the insertion in-process; the hand-over and
   * the wait after the last vector when it is built in a thread beside the embedding); otherS: the rest of the build not covered by the parts.
   */
  build: { totalS: number; thread: boolean; embedS: number; lexicalS: number; hnswS: number; otherS: number };
  /**
   * Raw Snowball cost (no cache) per token, and stemToken's as the index calls it. The build stems
   * each token once in both languages (embedder) and twice in the passage's language (lexical index).
   */
  stemming: { snowballUsBothLanguages: number; snowballUsOneLanguage: number; stemTokenUs: number; estimatedSnowballS: number; estimatedStemTokenS: number };
  latency: { queries: number; warmup: number; p50Ms: number; p90Ms: number; p99Ms: number; meanMs: number; maxMs: number };
  /** lexicalNoGlossary: the same BM25 search without the glossary's expansion words. */
  components: { stemOnePassP50Ms: number; analyzeP50Ms: number; lexicalP50Ms: number; lexicalP99Ms: number; lexicalNoGlossaryP50Ms: number; lexicalNoGlossaryP99Ms: number; queriesWithExpansions: number; embedP50Ms: number; vectorP50Ms: number; vectorP99Ms: number };
  sourceInTopK: { all: number; literal: number; paraphrased: number };
  memory: { peakRssMiB: number; peakRssAfterBuildMiB: number; rssAfterBuildMiB: number; heapUsedAfterBuildMiB: number; note: string };
  /** writeMs: writeSearchIndex; readMs: readSearchIndex (what a restart costs once the index is built). */
  disk: { totalMiB: number; files: Record<string, number>; writeMs: number; readMs: number };
  recall: {
    queries: number;
    at: number;
    /** VectorIndex.query(v, 10) at the production ef, chunk level, against exact cosine (best vector per chunk). */
    recallAt10: number;
    /** Top 10 of VectorIndex.query(v, 24): what HybridRetriever asks for (depth max(3k, 20) with k = 8). */
    recallAt10HybridDepth: number;
    /** Queries where the ANN returned fewer than 10 passages. */
    shortLists: number;
    exactMsPerQuery: number;
    annMsPerQuery: number;
    sanityMaxScoreDiff: number;
    sweep: { ef: number; recallAt10: number; effectiveEfAt10: number; recallAt10HybridDepth: number; effectiveEfHybridDepth: number; msPerQueryAt10: number }[];
    /** The HNSW graph alone built with other settings (same vectors, production efSearch). */
    buildSweep: { m: number; efConstruction: number; buildS: number; recallAt10: number; recallAt10HybridDepth: number; msPerQueryAt10: number }[];
  };
  totalRunS: number;
  /** One-minute load average at the start and end of this size's run (about 1 when it ran alone on the machine). */
  loadAverage: { start: number; end: number };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(resolve(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
const mib = (bytes: number) => bytes / 1024 / 1024;
const round = (value: number, digits = 3) => Number(value.toFixed(digits));
const log = (message: string) => process.stderr.write(`${message}\n`);
const gc = () => (globalThis as { gc?: () => void }).gc?.();

/** Indices of the k highest scores, best first (ties: lower index first). */
function topK(scores: Float64Array, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i] ?? -Infinity;
    if (best.length === k && score <= (scores[best[k - 1] ?? 0] ?? -Infinity)) continue;
    let at = best.length;
    while (at > 0 && score > (scores[best[at - 1] ?? 0] ?? -Infinity)) at--;
    best.splice(at, 0, i);
    if (best.length > k) best.pop();
  }
  return best;
}

function arg(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

function positiveInt(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} expects a positive whole number, got ${text}`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// One size, in its own process

async function runOne(size: number, queryCount: number): Promise<SizeResult> {
  const started = performance.now();
  const loadAtStart = loadavg()[0] ?? 0;
  const config = loadConfig(process.env);
  const corpus = loadCorpus(config.corpusDir);
  const generator = new SyntheticCorpus(vocabularyOf(corpus));

  let t = performance.now();
  const synthetic: SyntheticChunk[] = generator.chunks(size);
  // What the index stores: plain Chunks, without the generator's bookkeeping fields.
  const chunks: Chunk[] = synthetic.map(({ topic: _topic, focus: _focus, ...chunk }) => chunk);
  const generateMs = performance.now() - t;
  const texts = chunks.flatMap(vectorTexts);
  const owners = chunks.flatMap((chunk, key) => vectorTexts(chunk).map(() => key));
  let tokens = 0;
  const distinct = new Set<string>();
  for (const chunk of chunks) {
    for (const text of [chunk.title, chunk.text, ...chunk.questions]) {
      for (const token of tokenize(text)) {
        tokens++;
        distinct.add(token);
      }
    }
  }
  const meanWordsPerChunk = mean(chunks.map((chunk) => tokenize(chunk.text).length));
  log(`[${size}] ${chunks.length} passages, ${texts.length} vector texts, ${tokens} tokens (${distinct.size} distinct) generated in ${(generateMs / 1000).toFixed(1)} s`);

  // Time the build's parts without changing it: the embedder's calls, and the two index builders
  // wrapped in this process only (LexicalIndex.build; VectorIndexBuilder.add and finish: "hnsw" is
  // the graph's cost to this thread, all of the insertion in-process, only the handing over and
  // the wait after the last vector when the graph is built in a thread beside the embedding).
  let embedMs = 0;
  class TimedEmbeddings extends HashedNgramEmbeddings {
    // buildSearchIndex fits the embedder to the corpus' word weights: keep the timing on the fitted copy.
    override fitted(termWeight: TermWeight): HashedNgramEmbeddings {
      return new TimedEmbeddings(this.dimensions, termWeight);
    }

    override async embedDocuments(documents: string[]): Promise<number[][]> {
      const start = performance.now();
      const vectors = await super.embedDocuments(documents);
      embedMs += performance.now() - start;
      return vectors;
    }
  }
  let lexicalMs = 0;
  let hnswMs = 0;
  const buildLexical = LexicalIndex.build.bind(LexicalIndex);
  const finishVectors = VectorIndexBuilder.prototype.finish;
  const addVectors = VectorIndexBuilder.prototype.add;
  VectorIndexBuilder.prototype.add = function (this: VectorIndexBuilder, firstLabel, vectors) {
    const start = performance.now();
    addVectors.call(this, firstLabel, vectors);
    hnswMs += performance.now() - start;
  };
  let builtInThread = false;
  LexicalIndex.build = (input) => {
    const start = performance.now();
    const built = buildLexical(input);
    lexicalMs += performance.now() - start;
    return built;
  };
  VectorIndexBuilder.prototype.finish = async function (this: VectorIndexBuilder) {
    const start = performance.now();
    builtInThread = this.inThread;
    const built = await finishVectors.call(this);
    hnswMs += performance.now() - start;
    return built;
  };

  const embedder = new TimedEmbeddings();
  let lastReport = 0;
  t = performance.now();
  const index = await buildSearchIndex({ chunks, glossary: corpus.glossary, corpusHash: `synthetic-${size}` }, embedder, { efSearch: config.hnswEf, ...(IN_PROCESS ? { thread: false } : {}) }, (done, total) => {
    if (done === total || done - lastReport >= total / 10) {
      lastReport = done;
      log(`[${size}] embedded ${done}/${total} texts (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    }
  });
  const buildMs = performance.now() - t;
  LexicalIndex.build = buildLexical;
  VectorIndexBuilder.prototype.finish = finishVectors;
  VectorIndexBuilder.prototype.add = addVectors;
  const peakRssAfterBuildMiB = process.resourceUsage().maxRSS / 1024;
  gc();
  const rssAfterBuildMiB = mib(process.memoryUsage().rss);
  const heapUsedAfterBuildMiB = mib(process.memoryUsage().heapUsed);
  log(`[${size}] built in ${(buildMs / 1000).toFixed(1)} s (embed ${(embedMs / 1000).toFixed(1)}, lexical ${(lexicalMs / 1000).toFixed(1)}, hnsw ${(hnswMs / 1000).toFixed(1)}); ${index.manifest.vectors} vectors, graph built ${builtInThread ? "in a thread" : "in-process"}`);

  // Stemming cost per token, on the corpus' own tokens: raw Snowball (what an uncached stemmer pays)
  // and stemToken as the index calls it.
  const sample = chunks.slice(0, 300).flatMap((chunk) => tokenize(chunk.text).map((token) => ({ token, lang: chunk.lang })));
  const stemmers = { fr: newStemmer("french"), en: newStemmer("english") };
  for (const { token, lang } of sample.slice(0, 3000)) stemmers[lang].stem(token);
  t = performance.now();
  for (const { token } of sample) {
    stemmers.fr.stem(token);
    stemmers.en.stem(token);
  }
  const snowballBothUs = ((performance.now() - t) * 1000) / Math.max(1, sample.length);
  t = performance.now();
  for (const { token, lang } of sample) stemmers[lang].stem(token);
  const snowballOneUs = ((performance.now() - t) * 1000) / Math.max(1, sample.length);
  t = performance.now();
  for (const { token, lang } of sample) {
    stemToken(token);
    stemToken(token, lang);
    stemToken(token, lang);
  }
  const stemTokenUs = ((performance.now() - t) * 1000) / Math.max(1, 3 * sample.length);
  const fitted = embedder.fitted((stems) => index.lexical.weight(stems));

  // Hybrid search latency.
  const retriever = new HybridRetriever(index, embedder);
  const warmup = generator.questions(synthetic, WARMUP, WARMUP_SEED + size);
  const queries = generator.questions(synthetic, queryCount, QUERY_SEED + size);
  for (const { question } of warmup) await retriever.search(question, K);
  const latencies: number[] = [];
  let found = 0;
  let foundLiteral = 0;
  let foundParaphrased = 0;
  let paraphrasedCount = 0;
  for (const { question, source, paraphrased } of queries) {
    const start = performance.now();
    const result = await retriever.search(question, K);
    latencies.push(performance.now() - start);
    const hit = result.hits.some((h) => h.chunk.id === chunks[source]?.id);
    if (paraphrased) paraphrasedCount++;
    if (hit) {
      found++;
      if (paraphrased) foundParaphrased++;
      else foundLiteral++;
    }
  }
  log(`[${size}] ${queries.length} hybrid searches: p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`);

  // Where the time of a search goes (same queries, each step alone, as HybridRetriever calls it).
  const glossary = compileGlossary(corpus.glossary);
  const depth = Math.max(K * 3, 20);
  const analyzeTimes: number[] = [];
  const lexicalTimes: number[] = [];
  const embedTimes: number[] = [];
  const vectorTimes: number[] = [];
  const stemTimes: number[] = [];
  const plainLexicalTimes: number[] = [];
  let withExpansions = 0;
  for (const { question } of queries) {
    let s = performance.now();
    for (const token of tokenize(question)) stemToken(token);
    stemTimes.push(performance.now() - s);
    s = performance.now();
    const analyzed = analyzeQuery(question, glossary);
    analyzeTimes.push(performance.now() - s);
    s = performance.now();
    index.lexical.query(question, analyzed.expansionWords, depth);
    lexicalTimes.push(performance.now() - s);
    if (analyzed.expansionWords.length > 0) withExpansions++;
    s = performance.now();
    index.lexical.query(question, [], depth);
    plainLexicalTimes.push(performance.now() - s);
    s = performance.now();
    const vector = await fitted.embedQuery(question);
    embedTimes.push(performance.now() - s);
    s = performance.now();
    index.vectors.query(vector, depth);
    vectorTimes.push(performance.now() - s);
  }
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;

  // Size on disk.
  const tmp = mkdtempSync(join(tmpdir(), "enso-bench-"));
  try {
    const dir = join(tmp, "index");
    t = performance.now();
    writeSearchIndex(index, dir);
    const writeMs = performance.now() - t;
    const files: Record<string, number> = {};
    for (const name of readdirSync(dir)) files[name] = round(mib(statSync(join(dir, name)).size), 2);
    const totalMiB = Object.values(files).reduce((sum, value) => sum + value, 0);
    t = performance.now();
    const reread = readSearchIndex(dir, config.hnswEf);
    const readMs = performance.now() - t;
    if (reread.vectors.vectorCount !== index.vectors.vectorCount) throw new Error("the index read back differs from the one written");

    // Recall: the raw vectors, embedded again in the order buildSearchIndex uses.
    // The retriever and the build both use the embedder fitted to the lexical index's word weights.
    const recallQueries = queries.slice(0, Math.min(200, queries.length)).map(({ question }) => fitted.embed(question));
    const dims = embedder.dimensions;
    log(`[${size}] embedding ${texts.length} texts again for exact search...`);
    const flat = new Float64Array(texts.length * dims);
    texts.forEach((text, label) => flat.set(fitted.embed(text), label * dims));
    if (texts.length !== index.vectors.vectorCount) throw new Error(`the index holds ${index.vectors.vectorCount} vectors, expected ${texts.length}`);

    // ANN answers first, one index at a time (so that several HNSW copies are never in memory together).
    const annAt = (vectors: VectorIndex, limit: number) => recallQueries.map((vector) => vectors.query(vector, limit).slice(0, RECALL_AT).map((hit) => hit.key));
    t = performance.now();
    const production = annAt(index.vectors, RECALL_AT);
    const annMsPerQuery = (performance.now() - t) / recallQueries.length;
    const productionHybrid = annAt(index.vectors, depth);
    const hnswPath = join(dir, "vectors.hnsw");
    const settings = { dimensions: dims, m: index.manifest.hnsw.m, efConstruction: index.manifest.hnsw.efConstruction };
    const sweepAnswers = EF_SWEEP.map((ef) => {
      const atLimit = VectorIndex.read(hnswPath, owners, { ...settings, efSearch: ef });
      for (const vector of recallQueries.slice(0, 20)) atLimit.query(vector, RECALL_AT);
      const start = performance.now();
      const at10 = annAt(atLimit, RECALL_AT);
      const ms = (performance.now() - start) / recallQueries.length;
      // A fresh copy for the hybrid depth: VectorIndex.query raises ef to 4 x limit for good.
      const atDepth = VectorIndex.read(hnswPath, owners, { ...settings, efSearch: ef });
      const hybrid = annAt(atDepth, depth);
      gc();
      return { ef, at10, hybrid, ms };
    });
    const buildSweepAnswers: { m: number; efConstruction: number; buildS: number; at10: number[][]; hybrid: number[][]; ms: number }[] = [];
    if (size <= HNSW_SWEEP_MAX_SIZE) {
      const arrays = texts.map((_, label) => Array.from(flat.subarray(label * dims, (label + 1) * dims)));
      for (const hnsw of HNSW_SWEEP) {
        log(`[${size}] HNSW alone with M ${hnsw.m}, efConstruction ${hnsw.efConstruction}...`);
        let start = performance.now();
        const built = VectorIndex.build(arrays, owners, { dimensions: dims, ...hnsw, efSearch: config.hnswEf });
        const buildS = (performance.now() - start) / 1000;
        start = performance.now();
        const at10 = annAt(built, RECALL_AT);
        const ms = (performance.now() - start) / recallQueries.length;
        buildSweepAnswers.push({ ...hnsw, buildS, at10, hybrid: annAt(built, depth), ms });
        gc();
      }
    }

    // Exact search, chunk level: best vector per chunk, top 10 chunks.
    const labelsByOwner: number[][] = chunks.map(() => []);
    owners.forEach((owner, label) => labelsByOwner[owner]?.push(label));
    const best = new Float64Array(chunks.length);
    let exactMs = 0;
    let sanity = 0;
    const perVariant = {
      hybrid: [] as number[],
      sweep10: EF_SWEEP.map(() => [] as number[]),
      sweepHybrid: EF_SWEEP.map(() => [] as number[]),
      build10: buildSweepAnswers.map(() => [] as number[]),
      buildHybrid: buildSweepAnswers.map(() => [] as number[]),
    };
    const productionRecall: number[] = [];
    let shortLists = 0;
    recallQueries.forEach((query, q) => {
      const start = performance.now();
      const v = Float64Array.from(query);
      best.fill(-Infinity);
      for (let label = 0; label < owners.length; label++) {
        const base = label * dims;
        let dot = 0;
        for (let i = 0; i < dims; i++) dot += (flat[base + i] as number) * (v[i] as number);
        const owner = owners[label] as number;
        if (dot > (best[owner] as number)) best[owner] = dot;
      }
      const exact = topK(best, RECALL_AT);
      exactMs += performance.now() - start;
      const wanted = Math.min(RECALL_AT, chunks.length);
      const tenth = best[exact[wanted - 1] ?? 0] ?? -Infinity;
      const exactSet = new Set(exact);
      // A passage tied with the 10th exact one counts as right (ties are frequent with hashed features).
      const recall = (keys: readonly number[] | undefined) => (keys ?? []).filter((key) => exactSet.has(key) || (best[key] ?? -Infinity) >= tenth - 1e-9).length / wanted;
      const answer = production[q];
      if ((answer?.length ?? 0) < wanted) shortLists++;
      productionRecall.push(recall(answer));
      perVariant.hybrid.push(recall(productionHybrid[q]));
      sweepAnswers.forEach((sweep, i) => {
        perVariant.sweep10[i]?.push(recall(sweep.at10[q]));
        perVariant.sweepHybrid[i]?.push(recall(sweep.hybrid[q]));
      });
      buildSweepAnswers.forEach((sweep, i) => {
        perVariant.build10[i]?.push(recall(sweep.at10[q]));
        perVariant.buildHybrid[i]?.push(recall(sweep.hybrid[q]));
      });
      const top = exact[0];
      if (top !== undefined) sanity = Math.max(sanity, Math.abs((best[top] ?? 0) - index.vectors.similarityTo(query, top)));
    });
    const recallAt10 = mean(productionRecall);
    log(`[${size}] recall@10 ${recallAt10.toFixed(4)} at ef ${config.hnswEf}; exact search ${(exactMs / recallQueries.length).toFixed(1)} ms a query`);

    return {
      size,
      chunks: chunks.length,
      vectors: index.manifest.vectors,
      efSearch: config.hnswEf,
      hnsw: index.manifest.hnsw,
      embedder: index.manifest.embedder.id,
      corpus: { sourceHash: corpus.hash, generateMs: round(generateMs, 1), tokens, distinctTokens: distinct.size, meanWordsPerChunk: round(meanWordsPerChunk, 1) },
      build: {
        totalS: round(buildMs / 1000, 2),
        thread: builtInThread,
        embedS: round(embedMs / 1000, 2),
        lexicalS: round(lexicalMs / 1000, 2),
        hnswS: round(hnswMs / 1000, 2),
        otherS: round((buildMs - embedMs - lexicalMs - hnswMs) / 1000, 2),
      },
      stemming: {
        snowballUsBothLanguages: round(snowballBothUs, 2),
        snowballUsOneLanguage: round(snowballOneUs, 2),
        stemTokenUs: round(stemTokenUs, 3),
        estimatedSnowballS: round((tokens * (snowballBothUs + 2 * snowballOneUs)) / 1e6, 1),
        estimatedStemTokenS: round((3 * tokens * stemTokenUs) / 1e6, 2),
      },
      latency: {
        queries: queries.length,
        warmup: warmup.length,
        p50Ms: round(percentile(latencies, 50)),
        p90Ms: round(percentile(latencies, 90)),
        p99Ms: round(percentile(latencies, 99)),
        meanMs: round(mean(latencies)),
        maxMs: round(Math.max(...latencies)),
      },
      components: {
        stemOnePassP50Ms: round(percentile(stemTimes, 50)),
        analyzeP50Ms: round(percentile(analyzeTimes, 50)),
        lexicalP50Ms: round(percentile(lexicalTimes, 50)),
        lexicalP99Ms: round(percentile(lexicalTimes, 99)),
        lexicalNoGlossaryP50Ms: round(percentile(plainLexicalTimes, 50)),
        lexicalNoGlossaryP99Ms: round(percentile(plainLexicalTimes, 99)),
        queriesWithExpansions: withExpansions,
        embedP50Ms: round(percentile(embedTimes, 50)),
        vectorP50Ms: round(percentile(vectorTimes, 50)),
        vectorP99Ms: round(percentile(vectorTimes, 99)),
      },
      sourceInTopK: {
        all: round(found / queries.length),
        literal: round(foundLiteral / Math.max(1, queries.length - paraphrasedCount)),
        paraphrased: round(foundParaphrased / Math.max(1, paraphrasedCount)),
      },
      memory: {
        peakRssMiB: round(peakRssMiB, 1),
        peakRssAfterBuildMiB: round(peakRssAfterBuildMiB, 1),
        rssAfterBuildMiB: round(rssAfterBuildMiB, 1),
        heapUsedAfterBuildMiB: round(heapUsedAfterBuildMiB, 1),
        note: "peak = process maxRSS after build and searches (before the recall phase); rssAfterBuild measured after a forced GC",
      },
      disk: { totalMiB: round(totalMiB, 2), files, writeMs: round(writeMs, 0), readMs: round(readMs, 0) },
      recall: {
        queries: recallQueries.length,
        at: RECALL_AT,
        recallAt10: round(recallAt10, 4),
        recallAt10HybridDepth: round(mean(perVariant.hybrid), 4),
        shortLists,
        exactMsPerQuery: round(exactMs / recallQueries.length, 2),
        annMsPerQuery: round(annMsPerQuery, 3),
        sanityMaxScoreDiff: sanity,
        sweep: sweepAnswers.map((sweep, i) => ({
          ef: sweep.ef,
          recallAt10: round(mean(perVariant.sweep10[i] ?? []), 4),
          effectiveEfAt10: Math.max(sweep.ef, Math.max(RECALL_AT * 4, RECALL_AT + 16)),
          recallAt10HybridDepth: round(mean(perVariant.sweepHybrid[i] ?? []), 4),
          effectiveEfHybridDepth: Math.max(sweep.ef, Math.max(depth * 4, depth + 16)),
          msPerQueryAt10: round(sweep.ms, 3),
        })),
        buildSweep: [
          { m: index.manifest.hnsw.m, efConstruction: index.manifest.hnsw.efConstruction, buildS: round(hnswMs / 1000, 2), recallAt10: round(recallAt10, 4), recallAt10HybridDepth: round(mean(perVariant.hybrid), 4), msPerQueryAt10: round(annMsPerQuery, 3) },
          ...buildSweepAnswers.map((sweep, i) => ({
            m: sweep.m,
            efConstruction: sweep.efConstruction,
            buildS: round(sweep.buildS, 2),
            recallAt10: round(mean(perVariant.build10[i] ?? []), 4),
            recallAt10HybridDepth: round(mean(perVariant.buildHybrid[i] ?? []), 4),
            msPerQueryAt10: round(sweep.ms, 3),
          })),
        ],
      },
      totalRunS: round((performance.now() - started) / 1000, 1),
      loadAverage: { start: round(loadAtStart, 2), end: round(loadavg()[0] ?? 0, 2) },
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The parent: one child per size, then the table and the JSON file

function runChild(size: number, queries: number): Promise<SizeResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--one", String(size), "--queries", String(queries), "--json", ...(IN_PROCESS ? ["--in-process"] : [])], {
      stdio: ["ignore", "pipe", "inherit"],
      env: process.env,
    });
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (data: string) => (out += data));
    child.on("error", fail);
    child.on("close", (code) => {
      const line = out.trim().split("\n").at(-1) ?? "";
      if (code !== 0) return fail(new Error(`the benchmark of ${size} passages exited with code ${code}`));
      try {
        done(JSON.parse(line) as SizeResult);
      } catch {
        fail(new Error(`the benchmark of ${size} passages printed no result: ${line.slice(0, 200)}`));
      }
    });
  });
}

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ");
  return [line(cells[0] ?? []), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

function report(results: SizeResult[]): { lines: string; verdicts: Record<string, unknown> } {
  const out: string[] = [];
  const first = results[0];
  out.push(`Retrieval benchmark: hybrid search (BM25 + HNSW, k ${K}), embedder ${first?.embedder ?? "?"}, HNSW M ${first?.hnsw.m} efConstruction ${first?.hnsw.efConstruction}, efSearch ${first?.efSearch} (ENSO_HNSW_EF)`);
  out.push("");
  out.push(
    table(
      ["passages", "vectors", "graph thread", "build s", "embed s", "bm25 s", "hnsw s", "load s", "p50 ms", "p99 ms", "recall@10", "r@10 depth24", "peak RSS MiB", "RSS built MiB", "disk MiB", "source in top 8"],
      results.map((r) => [
        r.size.toLocaleString("en"),
        r.vectors.toLocaleString("en"),
        r.build.thread ? "yes" : "no",
        r.build.totalS.toFixed(1),
        r.build.embedS.toFixed(1),
        r.build.lexicalS.toFixed(1),
        r.build.hnswS.toFixed(1),
        (r.disk.readMs / 1000).toFixed(1),
        r.latency.p50Ms.toFixed(2),
        r.latency.p99Ms.toFixed(2),
        r.recall.recallAt10.toFixed(4),
        r.recall.recallAt10HybridDepth.toFixed(4),
        r.memory.peakRssMiB.toFixed(0),
        r.memory.rssAfterBuildMiB.toFixed(0),
        r.disk.totalMiB.toFixed(1),
        `${(r.sourceInTopK.all * 100).toFixed(1)}%`,
      ]),
    ),
  );
  out.push(`Load average (1 min) at start/end of each size: ${results.map((r) => `${r.size}: ${r.loadAverage.start}/${r.loadAverage.end}`).join(", ")} (about 1 = the benchmark ran alone on the machine)`);
  out.push("");
  out.push("Where a search's time goes (p50 of each step alone, ms) and exact search for comparison");
  out.push(
    table(
      ["passages", "stem 1 pass", "analyze", "bm25", "bm25 p99", "bm25 w/o glossary", "p99", "embed", "hnsw", "hnsw p99", "exact brute force", "ANN k10"],
      results.map((r) => [
        r.size.toLocaleString("en"),
        r.components.stemOnePassP50Ms.toFixed(3),
        r.components.analyzeP50Ms.toFixed(3),
        r.components.lexicalP50Ms.toFixed(3),
        r.components.lexicalP99Ms.toFixed(3),
        r.components.lexicalNoGlossaryP50Ms.toFixed(3),
        r.components.lexicalNoGlossaryP99Ms.toFixed(3),
        r.components.embedP50Ms.toFixed(3),
        r.components.vectorP50Ms.toFixed(3),
        r.components.vectorP99Ms.toFixed(3),
        r.recall.exactMsPerQuery.toFixed(2),
        r.recall.annMsPerQuery.toFixed(3),
      ]),
    ),
  );
  out.push("");
  out.push("HNSW recall@10 by efSearch (chunk level, 200 queries; 'effective' = ef after VectorIndex.query raises it to 4 x limit)");
  out.push(
    table(
      ["passages", "ef", "recall@10 (k 10)", "eff. ef", "recall@10 (depth 24)", "eff. ef", "ANN ms/query"],
      results.flatMap((r) => r.recall.sweep.map((s) => [r.size.toLocaleString("en"), s.ef, s.recallAt10.toFixed(4), s.effectiveEfAt10, s.recallAt10HybridDepth.toFixed(4), s.effectiveEfHybridDepth, s.msPerQueryAt10.toFixed(3)])),
    ),
  );
  out.push("");
  const built = results.filter((r) => r.recall.buildSweep.length > 1);
  if (built.length > 0) {
    out.push(`HNSW graph alone with other build settings (same vectors, efSearch ${first?.efSearch}; first row = production)`);
    out.push(
      table(
        ["passages", "M", "efConstruction", "HNSW build s", "recall@10 (k 10)", "recall@10 (depth 24)", "ANN ms/query"],
        built.flatMap((r) => r.recall.buildSweep.map((b) => [r.size.toLocaleString("en"), b.m, b.efConstruction, b.buildS.toFixed(1), b.recallAt10.toFixed(4), b.recallAt10HybridDepth.toFixed(4), b.msPerQueryAt10.toFixed(3)])),
      ),
    );
    out.push("");
  }
  out.push("Stemming in the build (each token: fr+en for its vector, twice in its own language for BM25)");
  out.push(
    table(
      ["passages", "tokens", "distinct", "Snowball µs fr+en", "Snowball µs own", "stemToken µs", "build stemming if uncached s", "with stemToken s"],
      results.map((r) => [r.size.toLocaleString("en"), r.corpus.tokens.toLocaleString("en"), r.corpus.distinctTokens.toLocaleString("en"), r.stemming.snowballUsBothLanguages.toFixed(1), r.stemming.snowballUsOneLanguage.toFixed(1), r.stemming.stemTokenUs.toFixed(2), r.stemming.estimatedSnowballS.toFixed(1), r.stemming.estimatedStemTokenS.toFixed(2)]),
    ),
  );
  out.push("");
  const at = results.find((r) => r.size === targets.size);
  const verdicts: Record<string, unknown> = {};
  if (at) {
    const checks = [
      { name: "p50 latency", value: at.latency.p50Ms, target: targets.p50Ms, unit: "ms", pass: at.latency.p50Ms <= targets.p50Ms, op: "<=" },
      { name: "recall@10", value: at.recall.recallAt10, target: targets.recall, unit: "", pass: at.recall.recallAt10 >= targets.recall, op: ">=" },
      { name: "build time", value: at.build.totalS, target: targets.buildS, unit: "s", pass: at.build.totalS <= targets.buildS, op: "<=" },
    ];
    out.push(`Targets at ${targets.size.toLocaleString("en")} passages`);
    for (const check of checks) {
      out.push(`  ${check.pass ? "PASS" : "MISS"}  ${check.name}: ${check.value}${check.unit ? ` ${check.unit}` : ""} (target ${check.op} ${check.target}${check.unit ? ` ${check.unit}` : ""})`);
      verdicts[check.name] = { value: check.value, target: `${check.op} ${check.target}`, pass: check.pass };
    }
  } else out.push(`Targets are set at ${targets.size.toLocaleString("en")} passages, which was not run.`);
  return { lines: out.join("\n"), verdicts };
}

async function main(): Promise<void> {
  const queries = positiveInt(arg("--queries"), 500, "--queries");
  const one = arg("--one");
  if (one !== undefined) {
    const result = await runOne(positiveInt(one, 0, "--one"), queries);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const sizes = (arg("--sizes") ?? "1000,10000,50000").split(",").map((size) => positiveInt(size.trim().replace(/_/g, ""), 0, "--sizes"));
  const results: SizeResult[] = [];
  for (const size of sizes) {
    log(`--- ${size.toLocaleString("en")} passages ---`);
    results.push(await runChild(size, queries));
  }
  const { lines, verdicts } = report(results);
  process.stdout.write(`\n${lines}\n`);
  const cpu = cpus();
  let commit = "unknown";
  try {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: packageRoot(), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    commit = git("rev-parse", "--short", "HEAD");
    if (git("status", "--porcelain", "--", "src") !== "") commit += " (src modified)";
  } catch {
    // not a git checkout
  }
  const file = join(packageRoot(), "bench", "results", "retrieval.json");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cpus: cpu.length, cpuModel: cpu[0]?.model ?? "unknown", node: process.version, platform: `${process.platform} ${process.arch}` },
        commit,
        settings: { k: K, queries, warmup: WARMUP, recallQueries: 200, recallAt: RECALL_AT, efSweep: EF_SWEEP, querySeed: QUERY_SEED },
        targets,
        verdicts,
        results,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`\nFigures written to ${file}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
