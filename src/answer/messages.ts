import type { Language } from "../knowledge/detect-language.js";
import type { Citation, Reason } from "./answer.js";
import type { Contact } from "./contact.js";

type Escalation = Exclude<Reason, "confident">;

const escalations: Record<Language, Record<Escalation, string>> = {
  fr: {
    low_confidence: "Je ne trouve pas de réponse sûre à cette question dans la documentation d'ENSO, et je préfère ne pas vous répondre approximativement.",
    out_of_scope: "Cette question ne semble pas relever d'ENSO, le service d'accompagnement des projets de recherche pour le numérique, les données et la science ouverte : je n'ai pas de réponse dans sa documentation.",
    user_request: "Bien sûr : un membre de l'équipe ENSO va prendre le relais.",
    injection: "Je réponds uniquement aux questions sur ENSO, à partir de sa documentation ; je ne peux pas suivre d'autres consignes.",
    invalid_input: "",
    provider_error: "Je n'ai pas pu préparer de réponse à cause d'un incident technique.",
  },
  en: {
    low_confidence: "I can't find a reliable answer to this question in ENSO's documentation, and I'd rather not give you an approximate one.",
    out_of_scope: "This question does not seem to be about ENSO, the research-support service for digital matters, data and open science: its documentation has no answer to it.",
    user_request: "Of course: a member of the ENSO team will take over.",
    injection: "I only answer questions about ENSO, from its documentation; I can't follow other instructions.",
    invalid_input: "",
    provider_error: "I couldn't prepare an answer because of a technical problem.",
  },
};

/**
 * Why the assistant does not answer, alone (a ticket message follows it). `elsewhere`: the topic of
 * another service an out-of-scope question seems to belong to.
 */
export function escalationLead(language: Language, reason: Escalation, elsewhere?: string): string {
  if (reason === "out_of_scope" && elsewhere) {
    return language === "fr"
      ? `Cette question semble relever d'un autre service de l'université (${elsewhere}) plutôt que d'ENSO, le service d'accompagnement des projets de recherche : je n'ai pas de réponse dans sa documentation.`
      : `This question seems to be for another service of the university (${elsewhere}) rather than ENSO, the research-support service: its documentation has no answer to it.`;
  }
  return escalations[language][reason];
}

/** The text of an escalation: why, and what happens next, with the human contact route. */
export function escalationText(language: Language, reason: Escalation, contact: Contact, elsewhere?: string): string {
  const next =
    language === "fr"
      ? `Pour obtenir la réponse d'une personne de l'équipe, écrivez à ${contact.email} (de préférence depuis votre adresse professionnelle) ou déposez une demande sur ${contact.requestFormUrl}. La réponse vous parviendra par courriel.`
      : `To get an answer from a person on the team, write to ${contact.email} (preferably from your work address) or submit a request at ${contact.requestFormUrl}. The answer will reach you by email.`;
  return `${escalationLead(language, reason, elsewhere)}\n\n${next}`;
}

/** The reply to a message that cannot be read as a question. */
export function invalidInputText(language: Language, problem: "empty" | "too_long" | "unreadable", limit: number): string {
  const texts = {
    fr: {
      empty: "Votre message est vide. Posez-moi une question sur ENSO, par exemple : « Qui peut contacter ENSO ? »",
      too_long: `Votre message est trop long pour moi (plus de ${limit} caractères). Pourriez-vous poser votre question en quelques phrases ?`,
      unreadable: "Je n'arrive pas à lire ce message (il ne semble pas contenir de texte). Pourriez-vous reformuler votre question ?",
    },
    en: {
      empty: "Your message is empty. Ask me a question about ENSO, for example: \"Who can contact ENSO?\"",
      too_long: `Your message is too long for me (more than ${limit} characters). Could you ask your question in a few sentences?`,
      unreadable: "I can't read this message (it doesn't seem to contain text). Could you rephrase your question?",
    },
  };
  return texts[language][problem];
}

/** The lead-in before quoted passages; a passage in the other language is said to be quoted as written. */
export function answerIntro(language: Language, citations: readonly Citation[]): string {
  const translated = citations.some((citation) => citation.lang !== language);
  const source = citations[0]?.source ?? "ENSO";
  if (language === "fr") {
    const inEnglish = translated ? " (citées telles quelles, en anglais)" : "";
    return citations.length > 1 ? `Voici ce qu'en disent les sources d'ENSO${inEnglish} :` : `Voici ce que dit la source, ${source}${inEnglish} :`;
  }
  const inFrench = translated ? " (quoted as written, in French)" : "";
  return citations.length > 1 ? `Here is what ENSO's sources say${inFrench}:` : `Here is what the source, ${source}, says${inFrench}:`;
}

/** The reply to a user who sends questions faster than the rate limit allows. */
export function rateLimitedText(language: Language): string {
  return language === "fr"
    ? "Vous m'envoyez beaucoup de messages à la suite : je reprends dans une minute. Merci de votre patience !"
    : "You are sending me a lot of messages in a row: I'll be back with you in a minute. Thanks for your patience!";
}

/** The reply when answering failed: an apology and the human route, never silence. */
export function failureText(language: Language, contact: Contact): string {
  return language === "fr"
    ? `Désolé, un incident technique m'empêche de répondre pour le moment. Vous pouvez écrire à ${contact.email} ou déposer une demande sur ${contact.requestFormUrl} : l'équipe ENSO vous répondra.`
    : `Sorry, a technical problem keeps me from answering right now. You can write to ${contact.email} or submit a request at ${contact.requestFormUrl}: the ENSO team will answer you.`;
}

/** The reply to "talk to a human" before tickets exist: how to reach ENSO's people. */
export function humanRouteText(language: Language, contact: Contact): string {
  return language === "fr"
    ? `C'est noté. Pour échanger avec un membre de l'équipe ENSO, écrivez à ${contact.email} ou déposez une demande sur ${contact.requestFormUrl} ; la réponse vous parviendra par courriel.`
    : `Noted. To talk with a member of the ENSO team, write to ${contact.email} or submit a request at ${contact.requestFormUrl}; the answer will reach you by email.`;
}

/** The reply to "aide", "bonjour" or "merci": what the assistant does, and how to reach a person. */
export function smallTalkText(kind: "help" | "greeting" | "thanks", language: Language, contact: Contact): string {
  if (kind === "thanks") return language === "en" ? "You're welcome! Ask me anything else about ENSO whenever you like." : "Avec plaisir ! N'hésitez pas si vous avez d'autres questions sur ENSO.";
  const hello = kind === "greeting" ? (language === "en" ? "Hello! " : "Bonjour ! ") : "";
  return language === "en"
    ? `${hello}I am the ENSO assistant. Ask me a question about ENSO, the research-support service of Paris 1 Panthéon-Sorbonne (digital tools, data, open science, law, AI, security): I answer from its FAQ and guides, and quote my sources. For example: "Who can contact ENSO?" or "How do I choose a licence for my data?". Write "talk to a human" to reach the team, or email ${contact.email}.`
    : `${hello}Je suis l'assistant ENSO. Posez-moi une question sur ENSO, le service d'accompagnement des projets de recherche de Paris 1 Panthéon-Sorbonne (numérique, données, science ouverte, droit, IA, sécurité) : je réponds à partir de sa FAQ et de ses guides, en citant mes sources. Par exemple : « Qui peut contacter ENSO ? » ou « Comment choisir une licence pour mes données ? ». Écrivez « parler à un humain » pour joindre l'équipe, ou écrivez à ${contact.email}.`;
}
