import type { FollowUp } from "./ticket-sink.js";
import type { ConversationHold } from "../store/ticket-store.js";
import { assigneeName, type Ticket, type TicketReason } from "./ticket.js";

/** Staff read tickets in French, whatever language the researcher wrote in. */
export const reasonLabels: Record<TicketReason, string> = {
  low_confidence: "pas de réponse sûre dans la documentation",
  out_of_scope: "question hors du périmètre de la documentation",
  user_request: "la personne a demandé à parler à quelqu'un",
  provider_error: "incident technique de l'assistant",
};

/** Where a ticket stands, for the staff cards of every platform. */
export const statusLabel = (ticket: Ticket, hold: ConversationHold) =>
  ticket.status === "resolved"
    ? "✅ Résolu"
    : ticket.status === "claimed"
      ? `🙋 Pris en charge par ${assigneeName(ticket.assignee)}${hold.ticketRef === ticket.ref && hold.state === "human" ? " (dans le chat)" : " (conversation rendue à l'assistant)"}`
      : "⏳ Ouvert : personne ne l'a encore pris en charge";

const followUpLabels: Record<FollowUp["kind"], string> = {
  user_message: "Nouveau message de la personne",
  staff_reply: "Réponse de l'équipe dans le chat",
  claimed: "Pris en charge",
  released: "Conversation rendue à l'assistant",
  resolved: "Résolu",
  claim_timeout: "Personne n'a pris la demande en charge dans le chat : la réponse est attendue par courriel",
  delivery_failed: "Échec de transmission",
};

/**
 * The subject line: the reference first, then the start of the question, with what helpdesks read
 * as their own ticket numbers defused: "[rt #123]" (RT, GLPI) becomes "(rt n° 123)" and
 * "Ticket#123" (OTRS, Znuny) "Ticket n° 123", so a researcher's text never files the mail elsewhere.
 */
export function ticketSubject(ticket: Ticket): string {
  const question = ticket.question
    .replace(/\s+/g, " ")
    .replaceAll("[", "(")
    .replaceAll("]", ")")
    .replace(/#\s*(?=\d)/g, " n° ")
    .replace(/ {2,}/g, " ")
    .trim();
  return `${ticket.ref} · ${question.length > 70 ? `${question.slice(0, 69)}…` : question}`;
}

export function userLine(ticket: Ticket): string {
  const { user, conversation } = ticket;
  return `${user.name || user.id}${user.email ? ` <${user.email}>` : " (adresse électronique inconnue)"} — ${conversation.platform}, ${ticket.site}`;
}

/** The plain-text body of a ticket, as helpdesks and mail clients show it. */
export function ticketText(ticket: Ticket): string {
  const lines = [
    `Demande ${ticket.ref}, transmise par l'assistant ENSO le ${ticket.createdAt.toISOString()}.`,
    "",
    "Question :",
    ...ticket.question.split("\n").map((line) => `> ${line}`),
    "",
    `Motif : ${reasonLabels[ticket.reason]}`,
    `Personne : ${userLine(ticket)}`,
    `Langue : ${ticket.language}`,
  ];
  if (ticket.passages.length > 0) {
    lines.push("", "Passages trouvés par l'assistant (scores BM25 / vecteur / couverture) :");
    for (const p of ticket.passages) lines.push(`- ${p.title} — ${p.source}${p.url ? ` <${p.url}>` : ""} (${p.bm25.toFixed(2)} / ${p.vector.toFixed(2)} / ${p.coverage.toFixed(2)})`);
  }
  if (ticket.transcript.length > 0) {
    lines.push("", "Derniers échanges :");
    for (const t of ticket.transcript) lines.push(`${t.role === "user" ? "Personne" : t.role === "staff" ? (t.author ?? "Équipe") : "Assistant"} : ${t.text.replace(/\s+/g, " ").slice(0, 600)}`);
  }
  lines.push("", `Répondre à cette demande répond à la personne${ticket.user.email ? "" : " si son adresse est connue"}. Référence à garder : ${ticket.ref}.`);
  return lines.join("\n");
}

export function followUpText(ticket: Ticket, followUp: FollowUp): string {
  return `${followUpLabels[followUp.kind]} — ${followUp.author}, ${followUp.at} (demande ${ticket.ref})\n\n${followUp.text}`.trim();
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/** The HTML body: the same content as ticketText, with the question as a quotation and links. */
export function ticketHtml(ticket: Ticket): string {
  const e = escapeHtml;
  const passages = ticket.passages.map((p) => `<li>${p.url ? `<a href="${e(p.url)}">${e(p.title)}</a>` : e(p.title)} — ${e(p.source)} <small>(${p.bm25.toFixed(2)} / ${p.vector.toFixed(2)} / ${p.coverage.toFixed(2)})</small></li>`).join("");
  const transcript = ticket.transcript.map((t) => `<li><b>${t.role === "user" ? "Personne" : t.role === "staff" ? e(t.author ?? "Équipe") : "Assistant"}</b> : ${e(t.text.slice(0, 600))}</li>`).join("");
  return [
    `<p>Demande <b>${e(ticket.ref)}</b>, transmise par l'assistant ENSO le ${e(ticket.createdAt.toISOString())}.</p>`,
    `<blockquote>${e(ticket.question).replaceAll("\n", "<br>")}</blockquote>`,
    `<p><b>Motif :</b> ${e(reasonLabels[ticket.reason])}<br><b>Personne :</b> ${e(userLine(ticket))}<br><b>Langue :</b> ${e(ticket.language)}</p>`,
    passages ? `<p>Passages trouvés par l'assistant (scores BM25 / vecteur / couverture) :</p><ul>${passages}</ul>` : "",
    transcript ? `<p>Derniers échanges :</p><ul>${transcript}</ul>` : "",
    `<p>Référence à garder : ${e(ticket.ref)}.</p>`,
  ].join("\n");
}
