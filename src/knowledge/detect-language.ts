import { foldAccents } from "./fold-accents.js";

export type Language = "fr" | "en";

const french = new Set(
  "le la les un une des du de au aux et est sont ce cette ces je tu il elle nous vous ils elles mon ma mes ton votre vos notre nos pour par avec sans dans sur qui que quoi quel quelle quels quelles comment pourquoi quand ou où peut peux puis pouvez faut bonjour merci svp ai avez suis pas ne plus très aussi mais donc car si".split(" "),
);
const english = new Set(
  "the a an and is are was be of to in on for with without by from who what which when where why how can could do does did i you he she we they my your our their this that these those it its there please hello hi thanks not no any some about have has".split(" "),
);

/**
 * Guesses whether a question is French or English from its function words and accents.
 * Short, ambiguous questions fall back to `fallback` (French: the service's language).
 */
export function detectLanguage(text: string, fallback: Language = "fr"): Language {
  const words = text.toLowerCase().replace(/[’']/g, " ").match(/\p{L}+/gu) ?? [];
  let score = 0;
  for (const word of words) {
    if (french.has(word)) score += 1;
    if (english.has(word)) score -= 1;
  }
  score += Math.min(2, (text.match(/[àâçéèêëîïôûùüÿœ]/gi) ?? []).length) * 0.75;
  if (/\b(?:qu|l|d|j|n|s|c)'\p{L}/iu.test(text.replace(/’/g, "'"))) score += 1;
  if (score > 0) return "fr";
  if (score < 0) return "en";
  return words.some((word) => english.has(foldAccents(word))) ? "en" : fallback;
}
