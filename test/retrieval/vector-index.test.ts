import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import type * as VectorIndexModule from "../../src/retrieval/vector-index.js";

// The build thread runs compiled JavaScript: this test loads the module from dist/ (npm test builds
// it first), as `npm start` and `enso index` do.
const compiled = "../../dist/src/retrieval/vector-index.js";
const { VectorIndex, VectorIndexBuilder } = (await import(compiled)) as typeof VectorIndexModule;

const settings = { dimensions: 32, m: 16, efConstruction: 64, efSearch: 200 };

/** Deterministic pseudo-random unit vectors. */
function vectors(count: number, seed: number): number[][] {
  let state = seed;
  const next = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  return Array.from({ length: count }, () => {
    const v = Array.from({ length: settings.dimensions }, next);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

function exactNearest(all: number[][], owners: number[], query: number[]): number {
  let best = -Infinity;
  let owner = -1;
  all.forEach((v, label) => {
    const dot = v.reduce((sum, x, i) => sum + x * (query[i] ?? 0), 0);
    if (dot > best) [best, owner] = [dot, owners[label] ?? -1];
  });
  return owner;
}

const enso = () => readdirSync(tmpdir()).filter((name) => name.startsWith("enso-hnsw-"));

describe("vector graph built in a thread beside the embedding", () => {
  const data = vectors(600, 7);
  // Three vectors a passage, as a passage has its text and its alternate questions.
  const owners = data.map((_, label) => Math.floor(label / 3));
  const queries = vectors(40, 99);

  it("finds the same passages as a graph built in-process, and leaves no file behind", async () => {
    const before = enso().length;
    const threaded = new VectorIndexBuilder(owners, settings, true);
    expect(threaded.inThread).toBe(true);
    for (let start = 0; start < data.length; start += 128) threaded.add(start, data.slice(start, start + 128));
    const fromThread = await threaded.finish();
    const inProcess = VectorIndex.build(data, owners, settings);

    expect(fromThread.vectorCount).toBe(600);
    for (const query of queries) {
      const hits = fromThread.query(query, 5);
      expect(hits.map((h) => h.key)).toEqual(inProcess.query(query, 5).map((h) => h.key));
      expect(hits[0]?.key).toBe(exactNearest(data, owners, query));
      expect(fromThread.similarityTo(query, hits[0]?.key ?? -1)).toBeCloseTo(hits[0]?.similarity ?? 0, 5);
    }
    expect(enso().length).toBe(before);
  });

  it("reports a graph that cannot be built instead of hanging, and cleans up", async () => {
    const before = enso().length;
    const builder = new VectorIndexBuilder(owners.slice(0, 10), settings, true);
    // More vectors than the graph was sized for: hnswlib refuses the eleventh.
    builder.add(0, data.slice(0, 11));
    await expect(builder.finish()).rejects.toThrow(/vector graph could not be built.*exceeds/i);
    expect(enso().length).toBe(before);
  });
});
