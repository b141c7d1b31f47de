import type { Language } from "../../../knowledge/detect-language.js";
import { reasonLabels, statusLabel } from "../../../handoff/render-ticket.js";
import { feedbackLabels, feedbackReceivedText } from "../../feedback-labels.js";
import type { Ticket } from "../../../handoff/ticket.js";
import type { ConversationHold } from "../../../store/ticket-store.js";
import type { FeedbackValue } from "../../../store/store.js";
import type { OutboundMessage } from "../../chat-channel.js";

/** An Adaptive Card, as JSON. */
export type AdaptiveCard = Record<string, unknown> & { readonly type: "AdaptiveCard"; readonly body: Record<string, unknown>[]; readonly actions?: Record<string, unknown>[] };

/** What the bot posts: plain Markdown text, or a card. */
export type TeamsReply = { readonly text: string } | { readonly card: AdaptiveCard };

/** The verbs of the bot's buttons (Action.Submit data `{type, verb, data}`, as the SDK's actionSubmit reads it). */
export const FEEDBACK_VERB = "enso.feedback";
export const STAFF_VERB = "enso.staff";

/** What a feedback button carries back. */
export interface FeedbackData {
  readonly value: FeedbackValue;
  readonly lang: Language;
  /** The entries the answer cited. */
  readonly cited: string;
  /** The question the answer replied to (for the record, and for the ticket "Talk to a human" opens). */
  readonly question?: string;
  /** Who asked: only they may hand the question to staff. */
  readonly asker?: string;
  /** Feedback on a resolved ticket. */
  readonly ticket?: string;
}

export type StaffActionName = "claim" | "release" | "resolve";

/** Teams refuses messages over about 28 KB; answers and cards stay well under. */
const MAX_TEXT = 12_000;

const shorten = (text: string, max = MAX_TEXT) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

const textBlock = (text: string, extra: Record<string, unknown> = {}) => ({ type: "TextBlock", text, wrap: true, ...extra });

/**
 * Markdown as the answerer writes it, in Adaptive Card elements: TextBlocks render bold, italics,
 * lists and links, but not quotes, so each quoted passage becomes an emphasised container.
 */
export function markdownToBlocks(markdown: string): Record<string, unknown>[] {
  const blocks: Record<string, unknown>[] = [];
  let quote: string[] = [];
  let paragraph: string[] = [];
  const flushParagraph = () => {
    if (paragraph.length > 0) blocks.push(textBlock(paragraph.join("\n\n"), blocks.length > 0 ? { spacing: "Small" } : {}));
    paragraph = [];
  };
  const flushQuote = () => {
    if (quote.length > 0) blocks.push({ type: "Container", style: "emphasis", bleed: false, items: quote.map((line, i) => textBlock(line, { spacing: i === 0 ? "Default" : "None" })) });
    quote = [];
  };
  for (const line of shorten(markdown).split("\n")) {
    const quoted = /^>\s?(.*)$/.exec(line);
    if (quoted) {
      flushParagraph();
      if ((quoted[1] ?? "").trim()) quote.push(quoted[1] ?? "");
    } else {
      flushQuote();
      if (line.trim()) paragraph.push(line);
      else flushParagraph();
    }
  }
  flushParagraph();
  flushQuote();
  return blocks;
}

/** An Adaptive Card 1.5 (what Teams renders), full width in Teams. */
export function card(body: Record<string, unknown>[], actions: Record<string, unknown>[] = [], fallbackText?: string): AdaptiveCard {
  return {
    type: "AdaptiveCard",
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    version: "1.5",
    body,
    ...(actions.length > 0 ? { actions } : {}),
    ...(fallbackText ? { fallbackText: shorten(fallbackText, 2000) } : {}),
    msteams: { width: "Full" },
  };
}

const submit = (title: string, verb: string, data: Record<string, unknown>, style?: "positive" | "destructive") => ({ type: "Action.Submit", title, ...(style ? { style } : {}), data: { type: "Action.Submit", verb, data } });

/**
 * What the engine says, as Teams shows it: an answer becomes a card with its text, its sources
 * (links) and the buttons "Utile", "Pas utile", "Parler à un humain"; a refusal, a ticket's message
 * or a short notice stays plain text.
 */
export function renderForTeams(outbound: OutboundMessage, options: { readonly asker: string }): TeamsReply {
  if (outbound.kind === "text") return { text: shorten(outbound.text) };
  const { answer } = outbound;
  if (answer.reason === "invalid_input" || outbound.ticketRef) return { text: shorten(answer.text) };
  const lang = answer.language;
  const sources = answer.citations.filter((c, i, all) => all.findIndex((o) => o.id === c.id) === i);
  const sourceLines = sources.map((c) => `- ${c.url ? `[${c.title}](${c.url})` : c.title} — ${c.source}`);
  const body = [
    ...markdownToBlocks(answer.text),
    ...(sourceLines.length > 0 ? [textBlock("**Sources**", { spacing: "Medium", separator: true }), textBlock(sourceLines.join("\n"), { spacing: "Small", isSubtle: true })] : []),
  ];
  const data = (value: FeedbackValue): FeedbackData => ({ value, lang, cited: sources.map((c) => c.id).join(","), ...(outbound.question ? { question: outbound.question.slice(0, 2000) } : {}), asker: options.asker });
  const actions = (Object.keys(feedbackLabels[lang]) as FeedbackValue[]).map((value) => submit(feedbackLabels[lang][value], FEEDBACK_VERB, { ...data(value) }, value === "human" ? "positive" : undefined));
  return { card: card(body, actions, answer.text) };
}

/** The card once a button was clicked: the same content, the buttons replaced by the acknowledgement. */
export function withFeedbackReceived(original: AdaptiveCard, lang: Language, value: FeedbackValue): AdaptiveCard {
  const { actions: _dropped, ...rest } = original;
  return { ...rest, body: [...original.body, textBlock(feedbackReceivedText(lang, value), { spacing: "Medium", isSubtle: true })] } as AdaptiveCard;
}

/** A message to the user about their ticket; with "Oui"/"Non" when staff marked it resolved. */
export function renderChatNote(text: string, options: { lang: Language; askFeedback?: boolean; ticket: string }): TeamsReply {
  if (!options.askFeedback) return { text: shorten(text) };
  const data = (value: FeedbackValue): FeedbackData => ({ value, lang: options.lang, cited: "", ticket: options.ticket });
  return { card: card(markdownToBlocks(text), [submit(options.lang === "en" ? "Yes" : "Oui", FEEDBACK_VERB, { ...data("useful") }), submit(options.lang === "en" ? "No" : "Non", FEEDBACK_VERB, { ...data("not_useful") })], text) };
}

/**
 * The ticket card of the Teams staff channel: the same content as Mattermost's (question, reason,
 * person, sources, last turns, status) and the buttons that fit the status. Staff answer the person
 * by replying in the card's thread.
 */
export function renderTeamsTicketCard(ticket: Ticket, hold: ConversationHold): AdaptiveCard {
  const user = `${ticket.user.name || ticket.user.id}${ticket.user.email ? ` (${ticket.user.email})` : ""}`;
  const passages = ticket.passages.map((p, i) => `${i + 1}. ${p.url ? `[${p.title}](${p.url})` : p.title} — ${p.source} (BM25 ${p.bm25.toFixed(1)}, vecteur ${p.vector.toFixed(2)})`);
  const transcript = ticket.transcript.slice(-4).map((t) => `**${t.role === "user" ? "Personne" : "Assistant"}** : ${t.text.replace(/\s+/g, " ").slice(0, 300)}`);
  const held = hold.ticketRef === ticket.ref && hold.state === "human";
  const action = (name: StaffActionName, title: string, style?: "positive" | "destructive") => submit(title, STAFF_VERB, { action: name, ticket: ticket.ref }, style);
  const actions = ticket.status === "resolved" ? [] : [held ? action("release", "Rendre au bot") : action("claim", ticket.status === "open" ? "Prendre en charge" : "Reprendre", "positive"), action("resolve", "Résolu")];
  const body = [
    textBlock(`**Demande ${ticket.ref}**`, { size: "Medium" }),
    { type: "Container", style: "emphasis", items: [textBlock(shorten(ticket.question, 3000))] },
    { type: "FactSet", facts: [{ title: "Motif", value: reasonLabels[ticket.reason] }, { title: "Personne", value: user }, { title: "Langue", value: ticket.language }, { title: "Statut", value: statusLabel(ticket, hold) }] },
    ...(passages.length > 0 ? [textBlock("**Sources trouvées**", { spacing: "Medium" }), textBlock(passages.join("\n"), { spacing: "Small" })] : []),
    ...(transcript.length > 0 ? [textBlock("**Derniers échanges**", { spacing: "Medium" }), ...transcript.map((line) => textBlock(line, { spacing: "Small", isSubtle: true }))] : []),
    textBlock("_Répondez dans ce fil : vos messages sont transmis à la personne tant que vous avez la conversation._", { spacing: "Medium", isSubtle: true }),
  ];
  return card(body, actions, `Demande ${ticket.ref} : ${ticket.question}`);
}
