import { readFileSync } from "node:fs";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { CorpusError } from "./corpus-error.js";

const glossarySchema = z
  .object({
    entries: z.array(
      z
        .object({ en: z.array(z.string().min(1)).default([]), fr: z.array(z.string().min(1)).default([]) })
        .strict()
        .refine((group) => group.en.length + group.fr.length >= 2, "a group needs at least two terms (in en, fr or both)"),
    ),
  })
  .strict();

/** Groups of interchangeable terms: English and French equivalents, or synonyms in one language. */
export interface Glossary {
  readonly groups: ReadonlyArray<{ readonly en: readonly string[]; readonly fr: readonly string[] }>;
}

/** Reads corpus/glossary.yaml; a broken glossary is a corpus problem with its line. */
export function loadGlossary(path: string, displayName: string): Glossary {
  const lineCounter = new LineCounter();
  const doc = parseDocument(readFileSync(path, "utf8"), { lineCounter });
  const firstError = doc.errors[0];
  if (firstError) {
    throw new CorpusError([{ file: displayName, line: lineCounter.linePos(firstError.pos[0]).line, message: `not valid YAML: ${firstError.message.split("\n")[0]}`, fix: "check the indentation of the entries" }]);
  }
  const parsed = glossarySchema.safeParse(doc.toJS());
  if (!parsed.success) {
    throw new CorpusError(
      parsed.error.issues.map((issue) => {
        const node = doc.getIn(issue.path as (string | number)[], true) as { range?: [number, number, number] } | undefined;
        return { file: displayName, line: node?.range ? lineCounter.linePos(node.range[0]).line : 1, message: `${issue.path.join(".")}: ${issue.message}`, fix: "each entry lists interchangeable terms under `en:` and/or `fr:`, two at least" };
      }),
    );
  }
  return { groups: parsed.data.entries.map((group) => ({ en: group.en.map((t) => t.toLowerCase()), fr: group.fr.map((t) => t.toLowerCase()) })) };
}
