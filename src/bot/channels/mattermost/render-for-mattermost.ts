import type { Language } from "../../../knowledge/detect-language.js";
import type { FeedbackValue } from "../../../store/store.js";
import type { OutboundMessage } from "../../chat-channel.js";
import { feedbackLabels, feedbackReceivedText } from "../../feedback-labels.js";
import { neutralizeMentions } from "./neutralize-mentions.js";
import { splitMessage } from "./split-message.js";

/** A post to create, before the platform gives it an id. */
export interface PostDraft {
  readonly message: string;
  readonly props?: Record<string, unknown>;
}

/** What every feedback button carries back to the bot (Mattermost keeps `context` from clients). */
export interface ActionContext {
  readonly action: FeedbackValue;
  readonly secret: string;
  readonly lang: Language;
  readonly question_post_id: string;
  readonly cited: string;
}

/** Action ids must be plain letters and digits for Mattermost. */
const actionIds: Record<FeedbackValue, string> = { useful: "useful", not_useful: "notuseful", human: "human" };

/**
 * Turns what the engine says into Mattermost posts: Markdown as the answerer wrote it (quoted
 * passages, named sources with their links), every @-mention neutralised, split under the post size
 * limit, and the feedback buttons on the last part of an answer.
 */
export function renderForMattermost(
  outbound: OutboundMessage,
  options: { readonly maxChars: number; readonly actionUrl: string; readonly secret: string; readonly questionPostId: string },
): PostDraft[] {
  const text = neutralizeMentions(outbound.kind === "text" ? outbound.text : outbound.answer.text);
  const parts = splitMessage(text, options.maxChars);
  // No buttons under a refusal, nor under a ticket's message (a person answers next).
  if (outbound.kind === "text" || outbound.answer.reason === "invalid_input" || outbound.ticketRef) return parts.map((message) => ({ message }));
  const { answer } = outbound;
  const context = (action: FeedbackValue): ActionContext => ({ action, secret: options.secret, lang: answer.language, question_post_id: options.questionPostId, cited: answer.citations.map((c) => c.id).join(",") });
  const buttons = (Object.keys(feedbackLabels[answer.language]) as FeedbackValue[]).map((action) => ({
    id: actionIds[action],
    name: feedbackLabels[answer.language][action],
    type: "button",
    style: action === "human" ? "primary" : "default",
    integration: { url: options.actionUrl, context: context(action) },
  }));
  return parts.map((message, i) => (i === parts.length - 1 ? { message, props: { attachments: [{ text: "", actions: buttons }] } } : { message }));
}

/** The attachment that replaces the buttons once a user has clicked one. */
export function feedbackReceivedAttachment(language: Language, value: FeedbackValue): Record<string, unknown> {
  return { text: feedbackReceivedText(language, value) };
}
