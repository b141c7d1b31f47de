import { foldAccents } from "../knowledge/fold-accents.js";

/** Asking for a person, in French or English. Matched on lower-case text without accents. */
const humanRequests = [
  /\b(?:parler|discuter|m'?adresser|avoir affaire)\b.{0,40}\b(?:quelqu'?un|humain|une personne|conseill\w*|un agent|interlocut\w*|operat\w*|membre de l'?equipe|responsable)\b/,
  /\b(?:passe[rz]?|passez|mettez|mets|mettre|transfer\w*|redirig\w*|orient\w*)[- ]?(?:moi|nous)\b.{0,30}\b(?:humain|agent|conseill\w*|personne|quelqu'?un|operat\w*)\b/,
  /\bmis(?:e)? en (?:relation|contact)\b/,
  /\b(?:vrai|vraie|veritable)\s+(?:etre\s+)?(?:humain|humaine|personne|conseiller|conseillere|agent|operateur|operatrice)\b/,
  /\b(?:veux|voudrais|souhaite|souhaiterais|aimerais|besoin d'?|puis-je avoir)\s*(?:parler a\s+)?(?:un|une)\s+(?:etre\s+)?(?:humain|humaine|conseiller|conseillere|agent|operateur|operatrice)\b/,
  /\b(?:talk|speak|connect|transfer|put)(?:s|ing|ed)?\b.{0,30}\b(?:human|person|someone|somebody|agent|operator|representative|advisor|adviser|team member|staff member)\b/,
  /\b(?:real|actual|live)\s+(?:human|person|agent|operator|representative)\b/,
  /\b(?:need|want|get|like|have)\s+(?:a|an)\s+(?:human|person|agent|operator|representative)\b/,
  /^(?:a\s+|un\s+)?(?:human|humain|agent|conseiller)\s*(?:please|pls|svp|s'?il vous plait)?\s*[!.?]*$/,
];

/** Telling the assistant to drop its rules, change its role or reveal its set-up. */
const injections = [
  /\b(?:ignore[rsz]?|oublie[rsz]?|disregard|forget|bypass|override|contourne[rz]?)\b.{0,40}\b(?:instruction|instructions|rule|rules|regle|regles|consigne|consignes|prompt|directive|directives|guideline|guidelines|above|previous|precedent\w*)\b/,
  /\b(?:oublie|oubliez|forget)\s+(?:tout|everything)\b/,
  /\b(?:system|systeme)\s*prompt\b|\bprompt\s*(?:systeme|system)\b/,
  /\b(?:you are now|tu es maintenant|vous etes maintenant|act as|agis comme|fais comme si|pretend|joue le role|developer mode|mode developpeur|jailbreak|dan mode)\b/,
  /\b(?:reveal|print|show|display|repeat|affiche\w*|revele\w*|montre\w*|repete\w*|donne\w*)\b.{0,30}\b(?:prompt|instructions|configuration|config|consignes|api key|cle d'?api|secret|token|password|mot de passe)\b/,
  /(?:^|\b(?:tu|vous|you|and|et|then|puis|now|maintenant)\s+)(?:answer|reply|respond|say|write|state|tell (?:me|them|everyone)|reponds?|reponde[zr]|dis|dites|ecri[st]|affirme\w*)\b.{0,25}\b(?:that|que|qu')/,
  /\b(?:ajoute[rz]?|mentionne[rz]?|precise[rz]?|indique[rz]?|insere[rz]?|add|include|mention|append|insert)\b.{0,30}\b(?:ta|votre|your)\s+(?:reponse|answer|reply|response)\b/,
  /\b(?:ps|nb|note|message|instruction)s?\b.{0,10}\b(?:pour|to|for)\s+(?:l'?assistant|le bot|le robot|le chatbot|the assistant|the bot|the chatbot|the model)\b/,
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
