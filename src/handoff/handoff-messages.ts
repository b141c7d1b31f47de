import type { Contact } from "../answer/contact.js";
import type { Language } from "../knowledge/detect-language.js";

/** What the researcher is told when a ticket opens: its reference, who answers, where, and ENSO's address. */
export function ticketOpenedText(language: Language, input: { ref: string; inChat: boolean; waitMinutes: number; email?: string; contact: Contact; delivered: boolean }): string {
  const { ref, inChat, waitMinutes, email, contact } = input;
  if (language === "en") {
    const byEmail = email ? `by email, at ${email}` : `by email: as I don't know your address, please write to ${contact.email} quoting ${ref}`;
    const where = inChat
      ? `A member of the ENSO team will answer you here, in this chat, if one is available in the next ${waitMinutes} minutes; otherwise the answer will reach you ${byEmail}.`
      : `The team is not available in the chat right now: the answer will reach you ${byEmail}.`;
    // Without the user's address, `byEmail` has already asked them to write: not twice.
    const route = !email ? "" : input.delivered ? ` You can also write to ${contact.email}, quoting ${ref}.` : ` Please also write to ${contact.email} quoting ${ref}, so that the team has your request by email.`;
    return `I have opened request **${ref}** for you. ${where}${route}`;
  }
  const byEmail = email ? `par courriel, à l'adresse ${email}` : `par courriel : comme je ne connais pas votre adresse, écrivez à ${contact.email} en rappelant ${ref}`;
  const where = inChat
    ? `Un membre de l'équipe ENSO vous répondra ici même, dans cette conversation, s'il est disponible dans les ${waitMinutes} prochaines minutes ; sinon, la réponse vous parviendra ${byEmail}.`
    : `L'équipe n'est pas disponible dans le chat pour le moment : la réponse vous parviendra ${byEmail}.`;
  const route = !email ? "" : input.delivered ? ` Vous pouvez aussi écrire à ${contact.email} en rappelant ${ref}.` : ` Écrivez aussi à ${contact.email} en rappelant ${ref}, pour que l'équipe ait votre demande par courriel.`;
  return `J'ai ouvert la demande **${ref}** pour vous. ${where}${route}`;
}

export function alreadyWithStaffText(language: Language, ref: string): string {
  return language === "en"
    ? `Your request ${ref} is already with the ENSO team: I have added this message to it.`
    : `Votre demande ${ref} est déjà entre les mains de l'équipe ENSO : j'y ai ajouté ce message.`;
}

export function waitingAckText(language: Language, ref: string): string {
  return language === "en"
    ? `I have added this to your request ${ref}; a member of the team will answer you here.`
    : `J'ai ajouté ce message à votre demande ${ref} ; un membre de l'équipe vous répondra ici.`;
}

export function claimedText(language: Language, ref: string, staff: string): string {
  return language === "en" ? `${staff}, of the ENSO team, has taken up your request ${ref} and will answer you here.` : `${staff}, de l'équipe ENSO, a pris en charge votre demande ${ref} et vous répond ici.`;
}

export function staffSaysText(staff: string, text: string): string {
  return `**${staff}** (ENSO) : ${text}`;
}

export function releasedText(language: Language, ref: string): string {
  return language === "en"
    ? `The ENSO team has handed this conversation back to the assistant (request ${ref}). You can ask me your questions again.`
    : `L'équipe ENSO a rendu cette conversation à l'assistant (demande ${ref}). Vous pouvez de nouveau me poser vos questions.`;
}

export function resolvedText(language: Language, ref: string): string {
  return language === "en"
    ? `Your request ${ref} is marked as resolved. Did the answer help you?`
    : `Votre demande ${ref} est marquée comme résolue. La réponse vous a-t-elle aidé ?`;
}

export function claimTimeoutText(language: Language, ref: string, email: string | undefined, contact: Contact): string {
  return language === "en"
    ? `Nobody from the team could join the chat in time. Your request ${ref} stays open and will be answered by email${email ? `, at ${email}` : `: please write to ${contact.email} quoting ${ref}`}. Meanwhile you can ask me other questions.`
    : `Personne de l'équipe n'a pu rejoindre la conversation à temps. Votre demande ${ref} reste ouverte et recevra une réponse par courriel${email ? `, à l'adresse ${email}` : ` : écrivez à ${contact.email} en rappelant ${ref}`}. En attendant, vous pouvez me poser d'autres questions.`;
}
