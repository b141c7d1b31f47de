import { EnsoError } from "../errors.js";

/** One problem in one corpus file, located so that a maintainer can go straight to it. */
export interface CorpusProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
  readonly fix: string;
}

/** Raised when the corpus cannot be indexed; lists every problem found, not just the first. */
export class CorpusError extends EnsoError {
  readonly problems: readonly CorpusProblem[];

  constructor(problems: readonly CorpusProblem[]) {
    const lines = problems.map((p) => `${p.file}:${p.line}: ${p.message} (fix: ${p.fix})`);
    super("corpus", `The corpus has ${problems.length} problem(s):\n  ${lines.join("\n  ")}`, "Correct the files above, then run `enso index` again; the previous index stays in use meanwhile.");
    this.problems = problems;
  }
}
