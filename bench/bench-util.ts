import { readFileSync } from "node:fs";
import { join } from "node:path";

/** A positive whole-number flag of a benchmark's command line, e.g. `--users 50`. */
export function numberArg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number`);
  return value;
}

/** The p-th percentile (nearest rank) of the values. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** The in-scope questions of the project's own set (test/eval/questions.jsonl), for load scenarios. */
export function answerableQuestions(root: string): string[] {
  return readFileSync(join(root, "test/eval/questions.jsonl"), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as { q: string; expect: string })
    .filter((c) => c.expect === "answered")
    .map((c) => c.q);
}
