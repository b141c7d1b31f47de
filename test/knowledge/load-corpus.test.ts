import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CorpusError } from "../../src/knowledge/corpus-error.js";
import { loadCorpus } from "../../src/knowledge/load-corpus.js";

const realCorpus = fileURLToPath(new URL("../../corpus", import.meta.url));

function entryText(id: string, options: { lang?: string; body?: string } = {}): string {
  return [
    "---",
    `id: ${id}`,
    `title: "Titre de ${id}"`,
    `lang: ${options.lang ?? "fr"}`,
    "source:",
    "  document: FAQ ENSO",
    "tags: [test]",
    "reviewed: 2026-01-15",
    "---",
    options.body ?? `Le texte de ${id}.`,
    "",
  ].join("\n");
}

let dir: string;

function write(path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

function corpusErrorOf(load: () => unknown): CorpusError {
  try {
    load();
  } catch (error) {
    if (error instanceof CorpusError) return error;
    throw error;
  }
  throw new Error("expected loadCorpus to throw a CorpusError");
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "enso-corpus-"));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("loadCorpus", () => {
  it("loads the entries of every sub-folder, skipping README files, with the glossary in lower case", () => {
    write("faq/faq-a.md", entryText("faq-a"));
    write("cle/cle-b.md", entryText("cle-b", { lang: "en", body: "The text of cle-b." }));
    write("README.md", "# How to write an entry\n");
    write("glossary.yaml", "entries:\n  - en: [PhD student]\n    fr: [Doctorant]\n");
    const corpus = loadCorpus(dir);
    expect(corpus.entries.map((entry) => [entry.id, entry.file, entry.body])).toEqual([
      ["cle-b", join("cle", "cle-b.md"), "The text of cle-b."],
      ["faq-a", join("faq", "faq-a.md"), "Le texte de faq-a."],
    ]);
    expect(corpus.glossary.groups).toEqual([{ en: ["phd student"], fr: ["doctorant"] }]);
  });

  it("reports an id used twice with the names of both files", () => {
    write("faq/faq-a.md", entryText("faq-a"));
    write("archive/faq-a.md", entryText("faq-a"));
    const error = corpusErrorOf(() => loadCorpus(dir));
    expect(error.problems).toHaveLength(1);
    const [problem] = error.problems;
    expect(`${problem?.file} ${problem?.message}`).toContain(join("archive", "faq-a.md"));
    expect(`${problem?.file} ${problem?.message}`).toContain(join("faq", "faq-a.md"));
    expect(error.message).toContain("faq-a");
  });

  it("gathers the problems of several broken files into one error", () => {
    write("faq/faq-ok.md", entryText("faq-ok"));
    write("faq/faq-no-front-matter.md", "Juste du texte.\n");
    write("faq/faq-german.md", entryText("faq-german", { lang: "de" }));
    write("faq/faq-empty.md", entryText("faq-empty", { body: "" }));
    const error = corpusErrorOf(() => loadCorpus(dir));
    expect(error.code).toBe("corpus");
    expect(error.problems.map((problem) => problem.file).sort()).toEqual(
      ["faq-empty.md", "faq-german.md", "faq-no-front-matter.md"].map((name) => join("faq", name)),
    );
    for (const problem of error.problems) expect(error.message).toContain(`${problem.file}:${problem.line}`);
    expect(error.message).not.toContain("faq-ok");
  });

  it("reports a glossary that is not valid YAML with its line", () => {
    write("faq/faq-a.md", entryText("faq-a"));
    write("glossary.yaml", "entries:\n  - en: [phd]\n    fr: [thèse]\n  - en: [lab]\n   fr: [labo]\n");
    const error = corpusErrorOf(() => loadCorpus(dir));
    expect(error.problems).toEqual([expect.objectContaining({ file: "glossary.yaml", line: 5 })]);
    expect(error.message).toContain("glossary.yaml:5");
  });

  it("reports a glossary group with an unknown language at the line of that group", () => {
    write("faq/faq-a.md", entryText("faq-a"));
    write("glossary.yaml", "entries:\n  - en: [phd]\n    fr: [thèse]\n  - en: [lab]\n    de: [Labor]\n");
    const error = corpusErrorOf(() => loadCorpus(dir));
    expect(error.problems.map((problem) => [problem.file, problem.line])).toContainEqual(["glossary.yaml", 4]);
  });

  it("reports a missing corpus folder instead of an empty assistant", () => {
    const error = corpusErrorOf(() => loadCorpus(join(dir, "nowhere")));
    expect(error.problems[0]?.fix).toMatch(/ENSO_CORPUS_DIR/);
  });

  it("gives the same hash to the same files and a new one when a file changes", () => {
    write("faq/faq-a.md", entryText("faq-a"));
    write("faq/faq-b.md", entryText("faq-b"));
    const first = loadCorpus(dir).hash;
    expect(loadCorpus(dir).hash).toBe(first);
    write("faq/faq-b.md", entryText("faq-b", { body: "Un texte corrigé." }));
    const edited = loadCorpus(dir).hash;
    expect(edited).not.toBe(first);
    write("glossary.yaml", "entries:\n  - en: [lab]\n    fr: [laboratoire]\n");
    expect(loadCorpus(dir).hash).not.toBe(edited);
    rmSync(join(dir, "glossary.yaml"));
    write("faq/faq-b.md", entryText("faq-b"));
    expect(loadCorpus(dir).hash).toBe(first);
  });

  it("loads the project's own corpus without a problem", () => {
    const corpus = loadCorpus(realCorpus);
    expect(corpus.entries.length).toBeGreaterThanOrEqual(45);
    expect(corpus.entries.length).toBeLessThanOrEqual(70);
    const ids = corpus.entries.map((entry) => entry.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(corpus.glossary.groups.length).toBeGreaterThan(0);
  });
});
