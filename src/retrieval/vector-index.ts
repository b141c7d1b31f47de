import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import hnswlib from "hnswlib-node";
import type { GraphWorkerData, GraphWorkerMessage, GraphWorkerReply } from "./hnsw-build-worker.js";

const { HierarchicalNSW } = hnswlib;
type Hnsw = InstanceType<typeof HierarchicalNSW>;

export interface VectorHit {
  readonly key: number;
  /** Cosine similarity of the closest of the passage's vectors, in [-1, 1]. */
  readonly similarity: number;
}

export interface VectorIndexSettings {
  readonly dimensions: number;
  readonly m: number;
  readonly efConstruction: number;
  readonly efSearch: number;
}

/**
 * From this many vectors the graph is built in a thread of its own, while this one embeds the
 * texts: the bundled corpus (under a thousand vectors) builds in-process in milliseconds.
 */
export const MIN_VECTORS_FOR_THREAD = 4_000;

/** Whether a graph of `vectorCount` vectors is worth a build thread on this machine. */
export function buildsInThread(vectorCount: number, cores = availableParallelism()): boolean {
  return cores > 1 && vectorCount >= MIN_VECTORS_FOR_THREAD;
}

/**
 * Approximate nearest neighbours (hnswlib, cosine space). A passage may own several vectors
 * (its text, its title, each alternate question): `owners[label]` is the passage a vector belongs
 * to, and a search returns each passage once, at its best vector.
 */
export class VectorIndex {
  private readonly labelsByOwner = new Map<number, number[]>();

  private constructor(
    private readonly index: Hnsw,
    private readonly owners: readonly number[],
    private readonly efSearch: number,
  ) {
    owners.forEach((owner, label) => {
      const labels = this.labelsByOwner.get(owner);
      if (labels) labels.push(label);
      else this.labelsByOwner.set(owner, [label]);
    });
  }

  /** One graph, built in this thread. */
  static build(vectors: readonly (readonly number[])[], owners: readonly number[], settings: VectorIndexSettings): VectorIndex {
    const index = newGraph(settings, vectors.length);
    vectors.forEach((vector, label) => index.addPoint(vector as number[], label));
    return new VectorIndex(index, owners, settings.efSearch);
  }

  static read(path: string, owners: readonly number[], settings: VectorIndexSettings): VectorIndex {
    const index = new HierarchicalNSW("cosine", settings.dimensions);
    index.readIndexSync(path);
    return new VectorIndex(index, owners, settings.efSearch);
  }

  /** @internal for VectorIndexBuilder */
  static fromGraph(index: Hnsw, owners: readonly number[], efSearch: number): VectorIndex {
    return new VectorIndex(index, owners, efSearch);
  }

  write(path: string): void {
    this.index.writeIndexSync(path);
  }

  get vectorCount(): number {
    return this.index.getCurrentCount();
  }

  get labelOwners(): readonly number[] {
    return this.owners;
  }

  /** The `limit` passages nearest to the query, best first. */
  query(vector: readonly number[], limit: number): VectorHit[] {
    const count = this.index.getCurrentCount();
    if (count === 0) return [];
    // A passage owns several vectors: ask for more neighbours than passages wanted. The search
    // breadth must cover them, so it is the configured ef or that count, whichever is larger.
    const wanted = Math.min(count, Math.max(limit * 4, limit + 16));
    this.index.setEf(Math.max(this.efSearch, wanted));
    const { neighbors, distances } = this.index.searchKnn(vector as number[], wanted);
    const best = new Map<number, number>();
    neighbors.forEach((label, i) => {
      const owner = this.owners[label] ?? -1;
      const similarity = 1 - (distances[i] ?? 1);
      if (owner >= 0 && similarity > (best.get(owner) ?? -Infinity)) best.set(owner, similarity);
    });
    return [...best].map(([key, similarity]) => ({ key, similarity })).sort((a, b) => b.similarity - a.similarity).slice(0, limit);
  }

  /** Exact best similarity between the query and a passage's vectors (for passages the ANN search did not return). */
  similarityTo(vector: readonly number[], key: number): number {
    let best = -1;
    for (const label of this.labelsByOwner.get(key) ?? []) {
      const point = this.index.getPoint(label);
      let dot = 0;
      for (let i = 0; i < point.length; i++) dot += (point[i] ?? 0) * (vector[i] ?? 0);
      best = Math.max(best, dot);
    }
    return best;
  }
}

/** An empty graph (cosine space, fixed seed so that builds repeat); the build thread makes its own with it. */
export function newGraph(settings: Pick<VectorIndexSettings, "dimensions" | "m" | "efConstruction">, capacity: number): Hnsw {
  const index = new HierarchicalNSW("cosine", settings.dimensions);
  index.initIndex({ maxElements: Math.max(1, capacity), m: settings.m, efConstruction: settings.efConstruction, randomSeed: 42 });
  return index;
}

/**
 * Builds a VectorIndex while the vectors are still being made. For a large corpus the graph is
 * built in a thread of its own, which `add` hands each batch to at once: HNSW insertion (the
 * longest part of a build) then runs beside the embedding instead of after it. A small corpus is
 * built in this thread. Either way the result is one graph, searched as fast as any other.
 */
export class VectorIndexBuilder {
  readonly inThread: boolean;
  private readonly local: Hnsw | undefined;
  private worker: Worker | undefined;
  private readonly folder: string | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly owners: readonly number[],
    private readonly settings: VectorIndexSettings,
    thread = buildsInThread(owners.length),
  ) {
    this.inThread = thread;
    if (!thread) {
      this.local = newGraph(settings, owners.length);
      return;
    }
    this.folder = mkdtempSync(join(tmpdir(), "enso-hnsw-"));
    const data: GraphWorkerData = { dimensions: settings.dimensions, capacity: owners.length, m: settings.m, efConstruction: settings.efConstruction, path: join(this.folder, "vectors.hnsw") };
    this.worker = new Worker(new URL("./hnsw-build-worker.js", import.meta.url), { workerData: data });
    this.worker.on("error", (error) => (this.failure ??= error));
    this.worker.on("message", (reply: GraphWorkerReply) => {
      if (reply.type === "failed") this.failure ??= new Error(`the vector graph could not be built: ${reply.message}`);
    });
  }

  /** Adds the vectors of labels `firstLabel`, `firstLabel + 1`, ... */
  add(firstLabel: number, vectors: readonly (readonly number[])[]): void {
    if (this.failure) throw this.failure;
    if (this.local) {
      vectors.forEach((vector, i) => this.local?.addPoint(vector as number[], firstLabel + i));
      return;
    }
    const d = this.settings.dimensions;
    const flat = new Float32Array(vectors.length * d);
    vectors.forEach((vector, i) => flat.set(vector, i * d));
    const message: GraphWorkerMessage = { type: "add", firstLabel, vectors: flat };
    this.worker?.postMessage(message, [flat.buffer as ArrayBuffer]);
  }

  /** Waits for the graph and returns the index; the thread and its file are gone afterwards. */
  async finish(): Promise<VectorIndex> {
    if (this.local) return VectorIndex.fromGraph(this.local, this.owners, this.settings.efSearch);
    const worker = this.worker as Worker;
    try {
      await new Promise<void>((resolve, reject) => {
        if (this.failure) return reject(this.failure);
        worker.on("message", (reply: GraphWorkerReply) => (reply.type === "written" ? resolve() : reject(this.failure ?? new Error(`the vector graph could not be built: ${reply.message}`))));
        worker.once("error", reject);
        worker.once("exit", (code) => reject(this.failure ?? new Error(`the vector graph's build thread stopped (exit code ${code})`)));
        worker.postMessage({ type: "finish" } satisfies GraphWorkerMessage);
      });
      return VectorIndex.read(join(this.folder as string, "vectors.hnsw"), this.owners, this.settings);
    } finally {
      await this.abort();
    }
  }

  /** Stops the thread and removes its file (also after a failure elsewhere in the build). */
  async abort(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
    if (this.folder && existsSync(this.folder)) rmSync(this.folder, { recursive: true, force: true });
  }
}
