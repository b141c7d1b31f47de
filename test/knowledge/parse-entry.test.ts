import { describe, expect, it } from "vitest";
import type { CorpusProblem } from "../../src/knowledge/corpus-error.js";
import { parseEntry } from "../../src/knowledge/parse-entry.js";

const FILE = "faq/faq-test.md";

/** A valid entry, one string per file line; the comments give the line a maintainer's editor shows. */
const LINES = [
  "---", // 1
  "id: faq-test", // 2
  'title: "Comment joindre l\'équipe ?"', // 3
  "lang: fr", // 4
  "source:", // 5
  "  document: FAQ ENSO", // 6
  "  url: https://recherche.pantheonsorbonne.fr", // 7
  "tags: [contact, équipe]", // 8
  "questions:", // 9
  "  fr:", // 10
  '    - "Comment   joindre l’équipe ?"', // 11
  "  en:", // 12
  '    - "How do I reach the team?"', // 13
  "reviewed: 2026-01-15", // 14
  "---", // 15
  "Écrivez\u00a0à  l’équipe ENSO.", // 16
  "",
  "",
  "",
  "Elle répond sous une semaine.",
];

const text = (lines: readonly string[]) => `${lines.join("\n")}\n`;

/** The valid entry with file line `line` (1-based) replaced by `replacement` (nothing: deleted). */
function withLine(line: number, ...replacement: string[]): string {
  return text([...LINES.slice(0, line - 1), ...replacement, ...LINES.slice(line)]);
}

function problemsOf(source: string, file = FILE): CorpusProblem[] {
  const result = parseEntry(source, file);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.problems;
}

function onlyProblem(source: string, file = FILE): CorpusProblem {
  const problems = problemsOf(source, file);
  expect(problems).toHaveLength(1);
  const [problem] = problems;
  expect(problem?.file).toBe(file);
  expect(problem?.message.trim()).not.toBe("");
  expect(problem?.fix.trim()).not.toBe("");
  return problem as CorpusProblem;
}

describe("parseEntry", () => {
  it("reads a valid entry with a cleaned body and its questions in both languages", () => {
    const result = parseEntry(text(LINES), FILE);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.entry).toMatchObject({
      id: "faq-test",
      title: "Comment joindre l'équipe ?",
      lang: "fr",
      source: { document: "FAQ ENSO", url: "https://recherche.pantheonsorbonne.fr" },
      tags: ["contact", "équipe"],
      reviewed: "2026-01-15",
      file: FILE,
    });
    expect(result.entry.body).toBe("Écrivez à l'équipe ENSO.\n\nElle répond sous une semaine.");
    expect(result.entry.questions).toEqual({ fr: ["Comment joindre l'équipe ?"], en: ["How do I reach the team?"] });
  });

  it("reads an entry as ENSO's by default, and a topic of another service with scope: outside", () => {
    const own = parseEntry(text(LINES), FILE);
    expect(own.ok && own.entry.scope).toBe("enso");
    const outside = parseEntry(withLine(14, "reviewed: 2026-01-15", "scope: outside"), FILE);
    expect(outside.ok && outside.entry.scope).toBe("outside");
  });

  it("points at a misspelt scope and says which values it takes", () => {
    const problem = onlyProblem(withLine(14, "reviewed: 2026-01-15", "scope: outsde"));
    expect(problem.line).toBe(15);
    expect(problem.message).toMatch(/^scope\b/);
    expect(`${problem.message} ${problem.fix}`).toMatch(/enso .*outside/);
  });

  it("refuses an entry of the folder of other services' topics that lacks scope: outside, pointing at the closing line", () => {
    const problem = onlyProblem(text(LINES), "hors-perimetre/faq-test.md");
    expect(problem.line).toBe(15);
    expect(problem.fix).toMatch(/scope: outside/);
    expect(parseEntry(withLine(14, "reviewed: 2026-01-15", "scope: outside"), "hors-perimetre/faq-test.md").ok).toBe(true);
  });

  it("reads a file saved with Windows line endings and a byte-order mark", () => {
    const result = parseEntry(`\ufeff${text(LINES).replace(/\n/g, "\r\n")}`, FILE);
    expect(result.ok && result.entry.body).toBe("Écrivez à l'équipe ENSO.\n\nElle répond sous une semaine.");
  });

  it("points at line 1 when the file has no front matter", () => {
    const problem = onlyProblem(text(LINES.slice(1)));
    expect(problem.line).toBe(1);
    expect(problem.message).toMatch(/front matter/);
    expect(problem.fix).toContain("---");
  });

  it("points at line 1 when the front matter is never closed", () => {
    const problem = onlyProblem(withLine(15));
    expect(problem.line).toBe(1);
    expect(problem.message).toMatch(/never closed/);
    expect(problem.fix).toContain("---");
  });

  it("points at the badly indented line when the front matter is not valid YAML", () => {
    const problem = onlyProblem(withLine(7, " url: https://recherche.pantheonsorbonne.fr"));
    expect(problem.line).toBe(7);
    expect(problem.message).toMatch(/not valid YAML/);
    expect(problem.fix).toMatch(/indentation/);
  });

  it("names a missing field in the message and in the fix", () => {
    const problem = onlyProblem(withLine(3));
    expect(problem.message).toMatch(/^title\b/);
    expect(problem.fix).toMatch(/add the field title/);
    expect(problem.line).toBe(2);
  });

  it("says which languages are allowed when lang is neither fr nor en", () => {
    const problem = onlyProblem(withLine(4, "lang: de"));
    expect(problem.message).toMatch(/^lang\b/);
    expect(problem.message).toMatch(/fr or en/);
  });

  // src/knowledge/parse-entry.ts `locate` adds 1 to lineOf(), which already counts the opening `---`.
  it("points at the line of the lang key when lang is wrong", () => {
    expect(onlyProblem(withLine(4, "lang: de")).line).toBe(4);
  });

  it("names a misspelt key and suggests correcting its spelling", () => {
    const problems = problemsOf(withLine(3, 'tittle: "Comment joindre l\'équipe ?"'));
    const typo = problems.find((problem) => problem.message.includes("tittle"));
    expect(typo?.fix).toMatch(/spelling/);
    expect(problems.some((problem) => problem.message.startsWith("title"))).toBe(true);
  });

  // src/knowledge/parse-entry.ts: unrecognized_keys issues have an empty path, so they fall back to line 2.
  it("points at the line of a misspelt key", () => {
    const problems = problemsOf(withLine(4, "lang: fr", "langue: fr"));
    expect(problems.find((problem) => problem.message.includes("langue"))?.line).toBe(5);
  });

  it("tells how to reconcile an id that differs from the file name", () => {
    const problem = onlyProblem(text(LINES), "faq/faq-autre.md");
    expect(problem.message).toContain("faq-test");
    expect(problem.fix).toContain("faq-autre");
  });

  it("points at the line of the id when it differs from the file name", () => {
    expect(onlyProblem(text(LINES), "faq/faq-autre.md").line).toBe(2);
  });

  it("points at the line after the front matter when the body is empty", () => {
    const problem = onlyProblem(text([...LINES.slice(0, 15), "", "   "]));
    expect(problem.line).toBe(16);
    expect(problem.message).toMatch(/no text/);
  });

  it("reports every problem of a file at once", () => {
    const problems = problemsOf(text([...LINES.slice(0, 3), "lang: de", ...LINES.slice(4, 7), "tags: []", ...LINES.slice(8, 15)]));
    expect(problems.map((problem) => problem.message.split(":")[0]).sort()).toEqual(["lang", "tags", "the entry has no text after its front matter"].sort());
  });
});
