import hnswlib from "hnswlib-node";

const { HierarchicalNSW } = hnswlib;

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
 * Approximate nearest neighbours (hnswlib, cosine space). A passage may own several vectors
 * (its text, its title, each alternate question): `owners[label]` is the passage a vector belongs
 * to, and a search returns each passage once, at its best vector.
 */
export class VectorIndex {
  private readonly labelsByOwner = new Map<number, number[]>();

  private constructor(
    private readonly index: InstanceType<typeof HierarchicalNSW>,
    private readonly owners: readonly number[],
    private readonly efSearch: number,
  ) {
    owners.forEach((owner, label) => {
      const labels = this.labelsByOwner.get(owner);
      if (labels) labels.push(label);
      else this.labelsByOwner.set(owner, [label]);
    });
  }

  static build(vectors: readonly (readonly number[])[], owners: readonly number[], settings: VectorIndexSettings): VectorIndex {
    const index = new HierarchicalNSW("cosine", settings.dimensions);
    index.initIndex({ maxElements: Math.max(1, vectors.length), m: settings.m, efConstruction: settings.efConstruction, randomSeed: 42 });
    vectors.forEach((vector, label) => index.addPoint(vector as number[], label));
    return new VectorIndex(index, owners, settings.efSearch);
  }

  static read(path: string, owners: readonly number[], settings: VectorIndexSettings): VectorIndex {
    const index = new HierarchicalNSW("cosine", settings.dimensions);
    index.readIndexSync(path);
    return new VectorIndex(index, owners, settings.efSearch);
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
