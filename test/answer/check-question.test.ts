import { describe, expect, it } from "vitest";
import { checkQuestion } from "../../src/answer/check-question.js";

const MAX = 2000;

/** Bytes from a fixed-seed generator, so that the "binary" message is the same on every run. */
function pseudoRandomBytes(length: number, seed = 42): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    bytes[i] = state >> 16;
  }
  return bytes;
}

describe("checkQuestion", () => {
  it("accepts a normal French question, cleaned", () => {
    expect(checkQuestion("  Qui peut   contacter l’équipe ENSO ?\n", MAX)).toEqual({ ok: true, question: "Qui peut contacter l'équipe ENSO ?" });
  });

  it.each([
    ["an empty message", ""],
    ["spaces only", "   "],
    ["blank lines and tabs", "\n\t \r\n  \t"],
    ["invisible characters only", "\u200b\ufeff\u00a0"],
  ])("calls %s empty", (_label, raw) => {
    expect(checkQuestion(raw, MAX)).toEqual({ ok: false, problem: "empty" });
  });

  it("calls a 20,000-character message too long", () => {
    expect(checkQuestion("Comment contacter ENSO ? ".repeat(800), MAX)).toEqual({ ok: false, problem: "too_long" });
  });

  it("accepts a message of exactly the limit", () => {
    const question = `${"a ".repeat(MAX / 2 - 1)}ok`;
    expect(question).toHaveLength(MAX);
    expect(checkQuestion(question, MAX).ok).toBe(true);
  });

  it("calls random bytes read as UTF-8 unreadable", () => {
    const raw = pseudoRandomBytes(400).toString("utf8");
    expect((raw.match(/\ufffd/g) ?? []).length).toBeGreaterThan(40);
    expect(checkQuestion(raw, MAX)).toEqual({ ok: false, problem: "unreadable" });
  });

  it("calls a run of control characters around a word unreadable", () => {
    expect(checkQuestion(`${"\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000e\u000f".repeat(10)}Bonjour`, MAX)).toEqual({ ok: false, problem: "unreadable" });
  });

  it("calls a message without any letter unreadable", () => {
    expect(checkQuestion("??? !!! 123 ---", MAX)).toEqual({ ok: false, problem: "unreadable" });
  });
});
