import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { CorpusError, type CorpusProblem } from "./corpus-error.js";
import type { Entry } from "./entry.js";
import { loadGlossary, type Glossary } from "./glossary.js";
import { parseEntry } from "./parse-entry.js";

/** Bumped whenever chunking or text analysis changes, so that old indexes are rebuilt. */
export const ANALYSIS_VERSION = "7";

export interface Corpus {
  readonly entries: readonly Entry[];
  readonly glossary: Glossary;
  /** sha256 over every file's path and content and the analysis version. */
  readonly hash: string;
}

/**
 * Loads and validates every Markdown file under `dir` (recursively) and `glossary.yaml`.
 * All problems of all files are collected and thrown together as one CorpusError: a corpus is
 * indexed whole or not at all.
 */
export function loadCorpus(dir: string): Corpus {
  if (!existsSync(dir)) throw new CorpusError([{ file: dir, line: 0, message: "the corpus folder does not exist", fix: "set ENSO_CORPUS_DIR to the folder holding the Markdown entries" }]);
  const files = listMarkdown(dir);
  const hash = createHash("sha256").update(`analysis:${ANALYSIS_VERSION}\n`);
  const problems: CorpusProblem[] = [];
  const entries: Entry[] = [];
  const seen = new Map<string, string>();
  for (const path of files) {
    const name = relative(dir, path);
    const text = readFileSync(path, "utf8");
    hash.update(`${name}\n${text}\n`);
    const parsed = parseEntry(text, name);
    if (!parsed.ok) {
      problems.push(...parsed.problems);
      continue;
    }
    const other = seen.get(parsed.entry.id);
    if (other) problems.push({ file: name, line: 2, message: `the id ${parsed.entry.id} is already used by ${other}`, fix: "give each entry its own id" });
    seen.set(parsed.entry.id, name);
    entries.push(parsed.entry);
  }
  if (files.length === 0) problems.push({ file: dir, line: 0, message: "the corpus folder holds no Markdown file", fix: "add entries (see corpus/README.md) or point ENSO_CORPUS_DIR elsewhere" });
  const glossaryPath = join(dir, "glossary.yaml");
  let glossary: Glossary = { groups: [] };
  if (existsSync(glossaryPath)) {
    hash.update(`glossary.yaml\n${readFileSync(glossaryPath, "utf8")}\n`);
    try {
      glossary = loadGlossary(glossaryPath, "glossary.yaml");
    } catch (error) {
      if (!(error instanceof CorpusError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new CorpusError(problems);
  return { entries, glossary, hash: hash.digest("hex") };
}

function listMarkdown(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((item) => item.isFile() && item.name.endsWith(".md") && item.name.toLowerCase() !== "readme.md")
    .map((item) => join(item.parentPath, item.name))
    .sort();
}
