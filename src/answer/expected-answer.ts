/**
 * What kind of answer a question asks for, when its form says so: a date ("Quand ouvre… ?", "What
 * year…?") or a quantity ("Combien… ?", "How much…?"). A passage that states none cannot answer it,
 * however close its words: "Quand ouvre la campagne de recrutement des maîtres de conférences ?"
 * finds the entry that names maîtres de conférences, which gives no date.
 */
export type ExpectedAnswer = "date" | "quantity";

/** The sentences of a message, lower-cased, apostrophes made plain. */
function sentencesOf(question: string): string[] {
  return question
    .toLowerCase()
    .replace(/’/g, "'")
    .split(/(?<=[.?!])\s+|\n+/)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence.length > 0);
}

// "Quand" opening a sentence asks for a time, unless it asks when to act ("quand faut-il contacter
// ENSO ?", answered by a stage of the project, not a date) or is "quand même". The same for "when".
const datePatterns = [
  /^(?:et |mais |alors |bonjour,? |dites-moi,? )?quand\b(?! même)(?!\s+(?:puis|peut|peux|pouvons|pouvez|dois|doit|devons|devez|faut|faudrait|contacter|solliciter|écrire|s'adresser|faire appel))/u,
  /\b(?:c'est quand|à partir de quand|depuis quand|jusqu'à quand|quelle date|quelles dates|en quelle année|quelle année|date limite)\b/u,
  /^(?:and |so |hi,? )?when (?:is|was|did|does|do|will|are|were|has|have)\b/u,
  /\b(?:what year|which year|what date|since when|until when|deadline)\b/u,
];

const quantityPatterns = [
  /^(?:et |mais |alors |bonjour,? )?combien\b/u,
  /\b(?:quel est le|quel sera le|quels sont les) (?:prix|coût|coûts|montant|tarif|tarifs|nombre)\b/u,
  /^(?:and |so |hi,? )?how (?:many|much)\b/u,
  /\bwhat (?:is|are|will be) the (?:price|cost|costs|amount|fee|fees|number)\b/u,
];

/** The kind of answer the question asks for, when its form says so. */
export function expectedAnswer(question: string): ExpectedAnswer | undefined {
  const sentences = sentencesOf(question);
  if (sentences.some((sentence) => datePatterns.some((pattern) => pattern.test(sentence)))) return "date";
  if (sentences.some((sentence) => quantityPatterns.some((pattern) => pattern.test(sentence)))) return "quantity";
  return undefined;
}

const months = /\b(?:janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|january|february|march|april|may|june|july|august|september|october|november|december)\b/iu;
const year = /\b(?:19|20)\d{2}\b/u;
const numericDate = /\b\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?\b/u;
// Numbers that are part of a name say nothing of a quantity.
const names = /\b(?:paris|université|universite) \d+\b|\b[lm]\d\b/giu;
// Digits standing alone (not "FIDO2"), or a number spelled out.
const number = /\b\d+(?:[.,]\d+)?\b|\b(?:deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|quinze|vingt|trente|cinquante|cent|cents|mille|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|fifty|hundred|thousand)\b/iu;
const free = /\b(?:gratuit|gratuite|gratuitement|sans frais|sans coût|aucun frais|aucun coût|free of charge|at no cost|no charge)\b/iu;

/** Whether a passage states an answer of that kind (a date, a number, or that something is free). */
export function statesAnswer(kind: ExpectedAnswer, text: string): boolean {
  if (kind === "date") return year.test(text) || numericDate.test(text) || months.test(text);
  return number.test(text.replace(names, "")) || free.test(text);
}
