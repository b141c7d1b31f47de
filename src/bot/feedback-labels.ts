import type { Language } from "../knowledge/detect-language.js";
import type { FeedbackValue } from "../store/store.js";

/** The buttons under an answer, on every platform, in the question's language. */
export const feedbackLabels: Record<Language, Record<FeedbackValue, string>> = {
  fr: { useful: "Utile", not_useful: "Pas utile", human: "Parler à un humain" },
  en: { useful: "Useful", not_useful: "Not useful", human: "Talk to a human" },
};

const received: Record<Language, Record<FeedbackValue, string>> = {
  fr: { useful: "Merci : votre avis « utile » est enregistré.", not_useful: "Merci : votre avis « pas utile » est enregistré ; il aide l'équipe à améliorer les réponses.", human: "Votre demande à parler à un membre de l'équipe ENSO est enregistrée." },
  en: { useful: "Thank you: your \"useful\" is recorded.", not_useful: "Thank you: your \"not useful\" is recorded; it helps the team improve the answers.", human: "Your request to talk to a member of the ENSO team is recorded." },
};

/** What replaces the buttons once clicked, in italics. */
export const feedbackReceivedText = (language: Language, value: FeedbackValue) => `_${received[language][value]}_`;
