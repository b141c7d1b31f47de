/** The stable codes of the errors the assistant raises on purpose. */
export type ErrorCode = "config" | "corpus" | "retrieval" | "provider" | "channel" | "sink" | "input";

/**
 * An error with a stable code and a message that says how to fix the problem.
 *
 * @example throw new EnsoError("config", "ENSO_DATA_DIR is empty", "Set it to a writable folder, e.g. ./data");
 */
export class EnsoError extends Error {
  readonly code: ErrorCode;
  readonly fix: string;

  constructor(code: ErrorCode, message: string, fix: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EnsoError";
    this.code = code;
    this.fix = fix;
  }

  /** The message and its fix, as a person reads them in a terminal. */
  describe(): string {
    return `${this.message}\n  fix: ${this.fix}`;
  }
}
