import type { Activity } from "@microsoft/agents-activity";
import type { InboundMessage } from "../../inbound-message.js";

/** Where a Teams activity was posted: a one-to-one chat, a group chat, or a team channel (and its thread). */
export interface TeamsPlace {
  /** The conversation without its thread part (a channel's id for channel posts). */
  readonly conversationId: string;
  /** In a channel: the thread's first message id. */
  readonly threadId?: string;
  readonly kind: "personal" | "groupChat" | "channel";
}

export type TeamsVerdict = { readonly answer: InboundMessage } | { readonly ignore: "own" | "bot" | "not_addressed" | "stale_button" | "not_a_message" };

/** A channel conversation id carries its thread: "19:...@thread.tacv2;messageid=1700000000000". */
export function placeOf(activity: Pick<Activity, "conversation" | "id">): TeamsPlace {
  const raw = activity.conversation?.id ?? "";
  const [base = raw, thread] = raw.split(";messageid=");
  const type = activity.conversation?.conversationType;
  const kind = type === "personal" ? "personal" : type === "channel" ? "channel" : type === "groupChat" ? "groupChat" : activity.conversation?.isGroup ? "groupChat" : "personal";
  // A new post in a channel starts its own thread: the answer goes under it.
  const threadId = kind === "channel" ? (thread ?? activity.id) : undefined;
  return { conversationId: base, ...(threadId ? { threadId } : {}), kind };
}

/** The conversation id that writes into a channel thread (or the conversation itself). */
export function threadConversationId(conversationId: string, threadId?: string): string {
  return threadId ? `${conversationId};messageid=${threadId}` : conversationId;
}

/** The id a person keeps across chats: their Entra object id when Teams gives it. */
export const personId = (account: { id?: string; aadObjectId?: string } | undefined) => account?.aadObjectId || account?.id || "";

const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

/**
 * The question as the person typed it: the bot's own mention removed, other mentions kept as names,
 * HTML that rich-text messages carry turned into text.
 */
export function plainText(activity: Pick<Activity, "text" | "entities" | "recipient">): string {
  let text = activity.text ?? "";
  const botId = activity.recipient?.id;
  for (const entity of activity.entities ?? []) {
    const mention = entity as { type?: string; mentioned?: { id?: string }; text?: string };
    if (mention.type === "mention" && mention.mentioned?.id === botId && mention.text) text = text.split(mention.text).join(" ");
  }
  return text
    .replace(/<at[^>]*>(.*?)<\/at>/giu, "$1")
    .replace(/<br\s*\/?>|<\/p>|<\/div>/giu, "\n")
    .replace(/<[^>]+>/gu, "")
    .replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/giu, (whole, name: string) => {
      if (name.startsWith("#x") || name.startsWith("#X")) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
      if (name.startsWith("#")) return String.fromCodePoint(Number(name.slice(1)));
      return entities[name.toLowerCase()] ?? whole;
    })
    .replace(/[ \t\u00a0]+/gu, " ")
    .replace(/\s*\n\s*/gu, "\n")
    .trim();
}

/** True when the activity @mentions the bot. */
export function mentionsBot(activity: Pick<Activity, "entities" | "recipient">): boolean {
  const botId = activity.recipient?.id;
  return (activity.entities ?? []).some((entity) => (entity as { type?: string; mentioned?: { id?: string } }).type === "mention" && (entity as { mentioned?: { id?: string } }).mentioned?.id === botId);
}

/**
 * Decides whether a Teams message is a question for the bot and turns it into an InboundMessage:
 * one-to-one chats always; group chats and channels when the bot is @mentioned, or when
 * `heldThread` says a person holds that thread for this user (no mention needed then). The answer
 * to a channel post goes in its thread.
 */
export function toInboundMessage(activity: Activity, heldThread?: (place: TeamsPlace, userId: string) => boolean): TeamsVerdict {
  if (activity.type !== "message") return { ignore: "not_a_message" };
  if (activity.from?.id && activity.from.id === activity.recipient?.id) return { ignore: "own" };
  if (activity.from?.role === "bot") return { ignore: "bot" };
  const place = placeOf(activity);
  const userId = personId(activity.from);
  const mentioned = mentionsBot(activity);
  const isDirect = place.kind === "personal";
  if (!isDirect && !mentioned && !heldThread?.(place, userId)) return { ignore: "not_addressed" };
  const text = plainText(activity);
  if (!text && (activity.attachments ?? []).length === 0 && activity.value !== undefined) return { ignore: "stale_button" };
  return {
    answer: {
      platform: "teams",
      conversationId: place.conversationId,
      ...(place.threadId ? { threadId: place.threadId } : {}),
      messageId: activity.id ?? "",
      userId,
      userName: activity.from?.name ?? "",
      text,
      isDirect,
      mentionsBot: mentioned,
      receivedAt: activity.timestamp ? new Date(activity.timestamp) : new Date(),
      raw: activity,
    },
  };
}
