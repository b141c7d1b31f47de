import { cleanText } from "../knowledge/clean-text.js";

export type QuestionCheck = { ok: true; question: string } | { ok: false; problem: "empty" | "too_long" | "unreadable" };

/**
 * Decides whether a message can be read as a question: not empty once cleaned, not longer than
 * `maxChars`, and mostly made of letters rather than replacement or control characters.
 */
export function checkQuestion(raw: string, maxChars: number): QuestionCheck {
  if (raw.length > maxChars * 4) return { ok: false, problem: "too_long" };
  const suspicious = (raw.match(/[\ufffd\u0000-\u0008\u000e-\u001f\u007f-\u009f]/g) ?? []).length;
  const question = cleanText(raw);
  if (question.length === 0) return { ok: false, problem: "empty" };
  if (question.length > maxChars) return { ok: false, problem: "too_long" };
  const letters = (question.match(/\p{L}/gu) ?? []).length;
  const alphanumeric = letters + (question.match(/\p{N}/gu) ?? []).length;
  if (letters === 0 || suspicious / raw.length > 0.2 || alphanumeric / question.length < 0.3) return { ok: false, problem: "unreadable" };
  return { ok: true, question };
}
