import { foldAccents } from "../knowledge/fold-accents.js";

/** Asking for a person, in French or English. Matched on lower-case text without accents. */
const humanRequests = [
  /\b(?:parler|discuter|echanger|m'?adresser|avoir affaire)\b.{0,40}\b(?:quelqu'?un|humain|personne|conseill\w*|agent|interlocut\w*|operat\w*|membre|equipe|collegue|responsable)\b/,
  /\b(?:passe[rz]?|passez|mettez|mets|mettre|transfer\w*|redirig\w*|orient\w*)[- ]?(?:moi|nous)?\b.{0,30}\b(?:humain|agent|conseill\w*|personne|quelqu'?un|operat\w*)\b/,
  /\bmis(?:e)? en (?:relation|contact)\b/,
  /\b(?:un|une|des|vrai|vraie|veritable)\s+(?:etre\s+)?(?:humain|humaine|personne reelle|vraie personne|conseiller|conseillere|agent|operateur|operatrice)\b/,
  /\b(?:talk|speak|chat|connect|transfer|put)\w*\b.{0,30}\b(?:human|person|someone|somebody|agent|operator|representative|staff|advisor|adviser|team member|people)\b/,
  /\b(?:a|an|real|actual|live)\s+(?:human|person|agent|operator|representative)\b/,
  /\bhuman\s*(?:please|pls|agent)?\s*[!.?]*$/,
];

/** Telling the assistant to drop its rules, change its role or reveal its set-up. */
const injections = [
  /\b(?:ignore[rsz]?|oublie[rsz]?|disregard|forget|bypass|override|contourne[rz]?)\b.{0,40}\b(?:instruction|instructions|rule|rules|regle|regles|consigne|consignes|prompt|directive|directives|guideline|guidelines|above|previous|precedent\w*)\b/,
  /\b(?:oublie|oubliez|forget)\s+(?:tout|everything)\b/,
  /\b(?:system|systeme)\s*prompt\b|\bprompt\s*(?:systeme|system)\b/,
  /\b(?:you are now|tu es maintenant|vous etes maintenant|act as|agis comme|fais comme si|pretend|joue le role|developer mode|mode developpeur|jailbreak|dan mode)\b/,
  /\b(?:reveal|print|show|display|repeat|affiche\w*|revele\w*|montre\w*|repete\w*|donne\w*)\b.{0,30}\b(?:prompt|instructions|configuration|config|consignes|api key|cle d'?api|secret|token|password|mot de passe)\b/,
  /\b(?:answer|reply|respond|say|write|state|tell (?:me|them|everyone)|reponds?|reponde[zr]|dis|dites|ecri[st]|affirme\w*)\s+(?:only\s+|seulement\s+|juste\s+)?(?:that|que|qu')\b/,
  /\b(?:ajoute[rz]?|mentionne[rz]?|precise[rz]?|indique[rz]?|insere[rz]?|add|include|mention|append|insert)\b.{0,30}\b(?:reponse|answer|reply|response)\b/,
  /\b(?:pour|to|for|note (?:to|for)|message (?:to|for|pour))\s+(?:l'?assistant|le bot|le robot|le chatbot|l'?ia|the assistant|the bot|the chatbot|the ai|the model)\b/,
];

/** Whether a message asks for a person rather than for information. */
export function asksForHuman(text: string): boolean {
  const folded = foldAccents(text).replace(/['’]/g, "'");
  return humanRequests.some((pattern) => pattern.test(folded));
}

/**
 * Splits a message into sentences and keeps those that carry no instruction to the assistant.
 * `injected` is true when anything was removed; the rest is still answered as a question.
 */
export function removeInjections(text: string): { question: string; injected: boolean } {
  const sentences = text.split(/(?<=[.!?;:\n])\s+|\n+/).filter((sentence) => sentence.trim().length > 0);
  const kept = sentences.filter((sentence) => !injections.some((pattern) => pattern.test(foldAccents(sentence).replace(/['’]/g, "'"))));
  return { question: kept.join(" ").trim(), injected: kept.length < sentences.length };
}
