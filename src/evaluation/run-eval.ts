import type { Assistant } from "../assistant.js";
import type { EvalCase } from "./eval-case.js";
import type { EvalOutcome } from "./score-eval.js";

/** Asks every question of a set in order, timing each answer. */
export async function runEval(assistant: Pick<Assistant, "ask">, cases: readonly EvalCase[]): Promise<EvalOutcome[]> {
  const outcomes: EvalOutcome[] = [];
  for (const evalCase of cases) {
    const started = performance.now();
    const result = await assistant.ask(evalCase.q);
    outcomes.push({ case: evalCase, result, ms: performance.now() - started });
  }
  return outcomes;
}
