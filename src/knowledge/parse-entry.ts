import { basename } from "node:path";
import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import { cleanText } from "./clean-text.js";
import type { CorpusProblem } from "./corpus-error.js";
import { frontMatterSchema, type Entry } from "./entry.js";

export type ParsedEntry = { ok: true; entry: Entry } | { ok: false; problems: CorpusProblem[] };

const fence = /^---[ \t]*$/;

/**
 * Parses one corpus file: YAML front matter between `---` lines, then a Markdown body.
 * Every problem carries the file and the line (1-based, counted in the whole file).
 *
 * @example parseEntry(readFileSync(path, "utf8"), "corpus/faq/faq-doctorants.md")
 */
export function parseEntry(text: string, file: string): ParsedEntry {
  const lines = text.replace(/^\ufeff/, "").split(/\r?\n/);
  const problem = (line: number, message: string, fix: string): ParsedEntry => ({ ok: false, problems: [{ file, line, message, fix }] });
  if (!fence.test(lines[0] ?? "")) {
    return problem(1, "the file does not start with a front matter", "put a line `---` first, the YAML fields, then another `---` line before the text");
  }
  const close = lines.findIndex((line, index) => index > 0 && fence.test(line));
  if (close < 0) return problem(1, "the front matter is never closed", "add a line `---` after the last YAML field");

  const lineCounter = new LineCounter();
  const yamlText = lines.slice(1, close).join("\n");
  const doc = parseDocument(yamlText, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number) => lineCounter.linePos(offset).line + 1;
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((error) => ({
        file,
        line: lineOf(error.pos[0]),
        message: `the front matter is not valid YAML: ${error.message.split("\n")[0]}`,
        fix: "check the indentation and quote values that contain ': ' or start with a special character",
      })),
    };
  }
  const parsed = frontMatterSchema.safeParse(doc.toJS());
  const problems: CorpusProblem[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const parent = issue.path.map((key) => (typeof key === "symbol" ? String(key) : key));
      // An unknown key is reported against its parent object: point at the key itself.
      const path = issue.code === "unrecognized_keys" && issue.keys[0] !== undefined ? [...parent, issue.keys[0]] : parent;
      const line = issue.code === "unrecognized_keys" ? locateKey(doc, path, lineOf) : locate(doc, path, lineOf);
      problems.push({ file, line, message: `${path.join(".") || "front matter"}: ${issue.message}`, fix: fixFor(issue.code, path) });
    }
  }
  const body = cleanText(lines.slice(close + 1).join("\n"));
  if (body.length === 0) problems.push({ file, line: close + 2, message: "the entry has no text after its front matter", fix: "write the answer or the section below the closing `---`" });
  if (parsed.success && basename(file, ".md") !== parsed.data.id) {
    problems.push({ file, line: locate(doc, ["id"], lineOf), message: `the id ${parsed.data.id} differs from the file name`, fix: `rename the file ${parsed.data.id}.md or set id: ${basename(file, ".md")}` });
  }
  // The folder of topics of other services holds nothing else: an entry there without `scope: outside`
  // would be quoted as ENSO's own word.
  if (parsed.success && file.split(/[\\/]/).slice(0, -1).includes(OUTSIDE_FOLDER) && parsed.data.scope !== "outside") {
    problems.push({ file, line: close + 1, message: `an entry in ${OUTSIDE_FOLDER}/ must be a topic of another service`, fix: `add the line "scope: outside" before this closing ---, or move the file out of ${OUTSIDE_FOLDER}/` });
  }
  if (!parsed.success || problems.length > 0) return { ok: false, problems };
  const data = parsed.data;
  return {
    ok: true,
    entry: {
      ...data,
      title: cleanText(data.title),
      questions: { fr: data.questions.fr.map(cleanText), en: data.questions.en.map(cleanText) },
      body,
      file,
    },
  };
}

/** The corpus folder of the topics of other services (front matter `scope: outside`). */
export const OUTSIDE_FOLDER = "hors-perimetre";

/** The file line of the deepest node of `path` that exists (`lineOf` counts the opening `---`). */
function locate(doc: ReturnType<typeof parseDocument>, path: (string | number)[], lineOf: (offset: number) => number): number {
  for (let depth = path.length; depth > 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lineOf(node.range[0]);
  }
  return 2;
}

/** The file line of the key (not the value) at `path`, e.g. a misspelt field name. */
function locateKey(doc: ReturnType<typeof parseDocument>, path: (string | number)[], lineOf: (offset: number) => number): number {
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  if (isMap(parent)) {
    const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === path.at(-1));
    const range = isScalar(pair?.key) ? pair.key.range : undefined;
    if (range) return lineOf(range[0]);
  }
  return locate(doc, path.slice(0, -1), lineOf);
}

function fixFor(code: string, path: (string | number)[]): string {
  const field = path.join(".");
  if (code === "invalid_type" && path.length > 0) return `add the field ${field} (see corpus/README.md for an example entry)`;
  if (code === "unrecognized_keys") return "remove the unknown field or correct its spelling (fields: id, title, lang, source, tags, questions, reviewed, scope)";
  return `correct ${field || "the front matter"} as the message says`;
}
