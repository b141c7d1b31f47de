import { foldAccents } from "../knowledge/fold-accents.js";

/**
 * The matching form of the evaluation format: lower case, accents folded, every run of
 * non-alphanumeric characters turned into one space.
 *
 * @example normalizeForMatch("Coût unitaire de 25€") // "cout unitaire de 25 "
 */
export function normalizeForMatch(text: string): string {
  return foldAccents(text).replace(/[^a-z0-9]+/g, " ");
}

/** Whether `phrase` occurs in `text`, both in matching form, on word boundaries. */
export function containsPhrase(text: string, phrase: string): boolean {
  const wanted = normalizeForMatch(phrase).trim();
  return wanted.length > 0 && ` ${normalizeForMatch(text).trim()} `.includes(` ${wanted} `);
}
