import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { HashedNgramEmbeddings } from "../../src/retrieval/hashed-ngram-embeddings.js";
import { indexDir, openIndex } from "../../src/retrieval/open-index.js";
import { readManifest } from "../../src/retrieval/search-index.js";

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

function setUp() {
  const root = mkdtempSync(join(tmpdir(), "enso-open-"));
  roots.push(root);
  const corpusDir = join(root, "corpus");
  cpSync(loadConfig({}).corpusDir, corpusDir, { recursive: true });
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
  const log = createLogger({ logLevel: "debug", logFormat: "json" }, stream);
  const options = { corpusDir, dataDir: join(root, "data"), efSearch: 100, embedder: new HashedNgramEmbeddings(), log };
  return { corpusDir, options, lines };
}

describe("the persisted index", () => {
  it("is built once, then loaded while the corpus is unchanged", async () => {
    const { options, lines } = setUp();
    await openIndex(options);
    const builtAt = readManifest(indexDir(options.dataDir))?.builtAt;
    await openIndex(options);
    expect(readManifest(indexDir(options.dataDir))?.builtAt).toBe(builtAt);
    expect(lines.filter((line) => line.msg === "building the index").map((line) => line.reason)).toEqual(["there is no index yet"]);
  });

  it("is rebuilt, with the reason logged, when a corpus file changes or the embedder does", async () => {
    const { options, corpusDir, lines } = setUp();
    await openIndex(options);
    const file = join(corpusDir, "faq", "faq-financements.md");
    writeFileSync(file, readFileSync(file, "utf8").replace("reviewed: 2026-11-23", "reviewed: 2026-11-24"));
    await openIndex(options);
    await openIndex({ ...options, embedder: new HashedNgramEmbeddings(256) });
    expect(lines.filter((line) => line.msg === "building the index").map((line) => line.reason)).toEqual([
      "there is no index yet",
      "the corpus changed",
      "the embedder changed (builtin-hashed-ngrams-v2-512 -> builtin-hashed-ngrams-v2-256)",
    ]);
    expect(readManifest(indexDir(options.dataDir))?.embedder).toEqual({ id: "builtin-hashed-ngrams-v2-256", dimensions: 256 });
  });

  it("keeps the previous index live when the corpus breaks, and logs the file and line", async () => {
    const { options, corpusDir, lines } = setUp();
    const before = await openIndex(options);
    const file = join(corpusDir, "faq", "faq-doctorants.md");
    writeFileSync(file, readFileSync(file, "utf8").replace("lang: fr", "lang: [fr"));
    const after = await openIndex(options);
    expect(after.manifest.builtAt).toBe(before.manifest.builtAt);
    const error = lines.find((line) => line.level === 50);
    expect(String(error?.msg)).toContain("faq/faq-doctorants.md:");
    expect(String(error?.msg)).toContain("previous index");
  });

  it("throws the corpus problems when there is no previous index to fall back on", async () => {
    const { options, corpusDir } = setUp();
    writeFileSync(join(corpusDir, "faq", "faq-doctorants.md"), "no front matter here\n");
    await expect(openIndex(options)).rejects.toThrow(/faq-doctorants\.md:1: the file does not start with a front matter/);
  });

  it("puts the previous index back when a crash left it renamed aside, and drops leftover folders", async () => {
    const { options, corpusDir } = setUp();
    const before = await openIndex(options);
    const dir = indexDir(options.dataDir);
    renameSync(dir, `${dir}.previous-4242`);
    mkdirSync(`${dir}.staging-4242`);
    const file = join(corpusDir, "faq", "faq-doctorants.md");
    writeFileSync(file, readFileSync(file, "utf8").replace("lang: fr", "lang: [fr"));
    const after = await openIndex(options);
    expect(after.manifest.builtAt).toBe(before.manifest.builtAt);
    expect(existsSync(`${dir}.previous-4242`)).toBe(false);
    expect(existsSync(`${dir}.staging-4242`)).toBe(false);
  });

  it("rebuilds over a leftover folder of an earlier process with the same pid", async () => {
    const { options } = setUp();
    await openIndex(options);
    const leftover = `${indexDir(options.dataDir)}.previous-${process.pid}`;
    mkdirSync(join(leftover, "junk"), { recursive: true });
    await expect(openIndex({ ...options, force: true })).resolves.toBeDefined();
  });

  it("does not fall back on a previous index built by another embedder", async () => {
    const { options, corpusDir } = setUp();
    await openIndex({ ...options, embedder: new HashedNgramEmbeddings(256) });
    writeFileSync(join(corpusDir, "faq", "faq-doctorants.md"), "no front matter here\n");
    await expect(openIndex(options)).rejects.toThrow(/faq-doctorants\.md:1/);
  });

  it("fails a requested rebuild when the corpus is broken, rather than reporting the old index as built", async () => {
    const { options, corpusDir } = setUp();
    await openIndex(options);
    writeFileSync(join(corpusDir, "faq", "faq-doctorants.md"), "no front matter here\n");
    await expect(openIndex({ ...options, force: true })).rejects.toThrow(/faq-doctorants\.md:1/);
  });
});
