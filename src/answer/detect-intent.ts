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

/** What a message is when it is not a question: a call for help, a greeting, thanks. */
export type SmallTalk = { readonly kind: "help" | "greeting" | "thanks"; readonly language: "fr" | "en" };

const smallTalkPatterns: { kind: SmallTalk["kind"]; language: "fr" | "en"; pattern: RegExp }[] = [
  { kind: "help", language: "fr", pattern: /^(?:aide|l'?aide|a l'?aide|au secours|menu|\?+|que sais-tu faire|que savez-vous faire|que peux-tu faire|que pouvez-vous faire|comment ca marche|mode d'?emploi)$/ },
  { kind: "help", language: "en", pattern: /^(?:help|help me|what can you do|how does (?:this|it) work)$/ },
  { kind: "greeting", language: "fr", pattern: /^(?:bonjour|bonsoir|salut|coucou|bonjour a (?:tous|vous)|bonjour l'?assistant|bonjour enso)$/ },
  { kind: "greeting", language: "en", pattern: /^(?:hello|hi|hey|good (?:morning|afternoon|evening)|hello there)$/ },
  { kind: "thanks", language: "fr", pattern: /^(?:merci(?: beaucoup| bien| encore| bcp)?|super,? merci|parfait,? merci|ok,? merci|d'?accord,? merci)$/ },
  { kind: "thanks", language: "en", pattern: /^(?:thanks?(?: a lot| you(?: very much)?)?|thx|great,? thanks|ok,? thanks)$/ },
];

/**
 * Recognises a whole message that is only "aide", "bonjour", "merci" and the like (in French or
 * English): answering it from the corpus would find nothing and open a ticket for nothing.
 */
export function smallTalk(text: string): SmallTalk | undefined {
  const folded = foldAccents(text).toLowerCase().replace(/['’]/g, "'").replace(/[!.,;:…\s]+$/u, "").replace(/^[\s!.,;:]+/u, "").replace(/\s+/g, " ");
  if (folded.length > 40) return undefined;
  const found = smallTalkPatterns.find((entry) => entry.pattern.test(folded));
  return found ? { kind: found.kind, language: found.language } : undefined;
}
