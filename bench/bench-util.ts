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

/** p50, p90, p99 and max of latencies in milliseconds, to two decimals. */
export function latencySummary(values: readonly number[]): { p50: number; p90: number; p99: number; max: number } {
  const round = (n: number) => Number(n.toFixed(2));
  return { p50: round(percentile(values, 50)), p90: round(percentile(values, 90)), p99: round(percentile(values, 99)), max: round(Math.max(...values)) };
}

/**
 * The pause before a user's next question in the chat benchmarks: researchers read an answer for
 * 1 to 3 s (seeded, so that runs compare).
 */
export function readingPauses(seed = 42): () => number {
  let state = seed;
  return () => 1000 + 2000 * ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
}
