import { foldAccents } from "../knowledge/fold-accents.js";

/**
 * What kind of answer a question asks for, when its form leaves no doubt: a date ("Quand ouvre la
 * campagne… ?", "When was … created?") or a quantity ("Combien coûte… ?", "How many…?"). A passage
 * that states none cannot answer it, however close its words: "Quand ouvre la campagne de
 * recrutement des maîtres de conférences ?" finds the entry that names maîtres de conférences, which
 * gives no date. The forms are kept narrow on purpose: "quand" and "when" are also conjunctions
 * ("Quand on est doctorant, …"), and "when can I contact ENSO?" is answered by a stage of the
 * project, not a date.
 */
export type ExpectedAnswer = "date" | "quantity";

/** The sentences of a message, lower-cased, accents folded, apostrophes made plain. */
function sentencesOf(question: string): string[] {
  return foldAccents(question.toLowerCase())
    .replace(/’/g, "'")
    .split(/(?<=[.?!:;])\s+|\n+/)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence.length > 0);
}

/** Verbs of events that happen at a date: opening, closing, taking place, being created or published. */
const eventVerbs = "ouvre|ouvrent|ouvrira|ouvriront|ferme|ferment|fermera|commence|commencent|commencera|debute|debutent|debutera|se termine|se terminera|a lieu|ont lieu|aura lieu|auront lieu|eu lieu|se tient|se tiendra|sort|sortira|est paru|parait|paraitra|sera publiee?s?|seront publiee?s|est publiee?|sont publiee?s|ete (?:creee?s?|lancee?s?|fondee?s?|ouverte?s?|publiee?s?)|expire|expirera";

// Each pattern runs on one folded sentence; what the sentence asks is what it opens with, or a
// phrase that is itself a question ("quelle date", "what year").
const datePatterns = [
  new RegExp(`^(?:et |mais |alors |bonjour,? |salut,? )?quand\\b(?!\\s+meme)(?:(?!,).)*\\b(?:${eventVerbs})\\b`, "u"),
  /\b(?:quelle date|quelles dates|en quelle annee|quelle annee|quelle est la date limite|c'est quand la date limite|a quelle date|depuis quelle date)\b/u,
  /^(?:and |so |hi,? |hello,? )?when (?:is|was|were|will|did)\b.*\b(?:held|created|launched|founded|opened|open|published|released|due|start|started|begin|began|launch|close|closes|expire|expires)\b/u,
  /\b(?:what year|which year|what date|what is the deadline|when is the deadline)\b/u,
];

const quantityPatterns = [
  /^(?:et |mais |alors |bonjour,? |salut,? )?combien (?:coute|coutent|couterait|couteraient|de |d'|y a-t-il|y a t il|est|sont|faut-il|faudrait-il)/u,
  /\b(?:quel est le|quel sera le|quels sont les) (?:prix|cout|couts|montant|tarif|tarifs|nombre)\b/u,
  /^(?:and |so |hi,? |hello,? )?how many\b/u,
  /^(?:and |so |hi,? |hello,? )?how much (?:is|are|does|do|did|will|would|money|time)\b/u,
  /\bwhat (?:is|are|will be) the (?:price|cost|costs|amount|fee|fees|number)\b/u,
];

/** The kind of answer the question asks for, when its form says so. */
export function expectedAnswer(question: string): ExpectedAnswer | undefined {
  const sentences = sentencesOf(question);
  if (sentences.some((sentence) => datePatterns.some((pattern) => pattern.test(sentence)))) return "date";
  if (sentences.some((sentence) => quantityPatterns.some((pattern) => pattern.test(sentence)))) return "quantity";
  return undefined;
}

// Word edges that know accented letters (JavaScript's \b does not: "marché" would hold "march").
const edge = (body: string) => new RegExp(`(?<![\\p{L}\\p{N}])(?:${body})(?![\\p{L}\\p{N}])`, "iu");
const months = edge("janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|january|february|march|april|june|july|august|september|october|november|december");
// A year, not an amount ("2000€").
const year = /(?<![\p{L}\p{N}])(?:19|20)\d{2}(?![\p{L}\p{N}]|\s?(?:€|euros?|\$|%))/u;
const numericDate = /(?<![\p{N}])\d{1,2}\/\d{1,2}(?:\/\d{2,4})?(?![\p{N}])/u;
// Numbers that are part of a name or an address say nothing of a quantity.
const names = /https?:\/\/\S+|\S+@\S+|\b(?:paris|universite|université) ?-?\d+\b|\b(?:[lm]|master|licence) ?\d\b/giu;
const number = edge("\\d+(?:[.,\\s]\\d+)*|deux|trois|quatre|cinq|six|huit|dix|douze|quinze|vingt|trente|cinquante|cent|cents|mille|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|fifty|hundred|thousand");
// A quantity stated in words: none at all, or "one or more".
const wordQuantity = edge("gratuit|gratuite|gratuitement|sans frais|aucun|aucune|un ou plusieurs|une ou plusieurs|plusieurs|free of charge|at no cost|none|one or more|several");

/** Whether a passage states an answer of that kind (a date; a number, none, several, or free). */
export function statesAnswer(kind: ExpectedAnswer, text: string): boolean {
  if (kind === "date") return year.test(text) || numericDate.test(text) || months.test(text);
  return number.test(text.replace(names, " ")) || wordQuantity.test(text);
}

/**
 * Whether a passage can answer a question asking for that kind: it states one, or its entry says,
 * in its title or alternate questions, that it answers such questions ("Combien de temps et
 * d'argent prévoir… ?" is answered by how ENSO helps estimate them, with no figure).
 */
export function answersKind(kind: ExpectedAnswer, passage: { readonly text: string; readonly title: string; readonly questions: readonly string[] }): boolean {
  return statesAnswer(kind, passage.text) || [passage.title, ...passage.questions].some((asked) => expectedAnswer(asked) === kind);
}
