import { readFileSync } from "node:fs";
import { z } from "zod";
import { EnsoError } from "../errors.js";

/** One line of a question set (the format of ../shared/eval/dev.jsonl). */
export const evalCaseSchema = z.object({
  id: z.string().min(1),
  q: z.string(),
  /** "any": either decision is acceptable (only the phrases are checked when it answers). */
  expect: z.enum(["answered", "escalated", "any"]),
  any: z.array(z.string()).default([]),
  none: z.array(z.string()).default([]),
});
export type EvalCase = z.infer<typeof evalCaseSchema>;

/** Reads a JSONL question set; a bad line stops with its line number. */
export function readEvalCases(path: string): EvalCase[] {
  const lines = readFileSync(path, "utf8").split(/\r?\n/);
  const cases: EvalCase[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new EnsoError("input", `${path}:${index + 1}: not valid JSON`, "write one JSON object per line");
    }
    const parsed = evalCaseSchema.safeParse(value);
    if (!parsed.success) throw new EnsoError("input", `${path}:${index + 1}: ${parsed.error.issues[0]?.path.join(".")} ${parsed.error.issues[0]?.message}`, 'each line needs "id", "q" and "expect" ("answered", "escalated" or "any"), and may have "any" and "none" lists');
    cases.push(parsed.data);
  });
  return cases;
}
