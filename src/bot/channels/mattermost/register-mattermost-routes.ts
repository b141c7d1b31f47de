import { randomUUID, timingSafeEqual } from "node:crypto";
import type { Post } from "@mattermost/types/posts";
import type { Logger } from "pino";
import { z } from "zod";
import type { Contact } from "../../../answer/contact.js";
import { humanRouteText, rateLimitedText } from "../../../answer/messages.js";
import { detectLanguage } from "../../../knowledge/detect-language.js";
import type { HttpServer } from "../../../http/http-server.js";
import type { Store } from "../../../store/store.js";
import type { OutboundMessage } from "../../chat-channel.js";
import type { InboundMessage } from "../../inbound-message.js";
import type { ActionResult, StaffMember } from "../../../handoff/handoff-desk.js";
import type { MattermostChannel } from "./mattermost-channel.js";
import type { StaffAction } from "./mattermost-staff-room.js";
import { neutralizeMentions } from "./neutralize-mentions.js";
import { feedbackReceivedAttachment } from "./render-for-mattermost.js";

export const ACTION_PATH = "/mattermost/actions";
export const COMMAND_PATH = "/mattermost/command";

/** The fields of Mattermost's action request the bot reads (PostActionIntegrationRequest). */
const actionRequest = z.object({
  user_id: z.string().min(1),
  user_name: z.string().optional(),
  post_id: z.string().min(1),
  channel_id: z.string().optional(),
  context: z.union([
    z.object({
      action: z.enum(["useful", "not_useful", "human"]),
      secret: z.string(),
      lang: z.enum(["fr", "en"]).catch("fr"),
      question_post_id: z.string().optional(),
      cited: z.string().optional(),
      /** Feedback on a resolved ticket. */
      ticket: z.string().optional(),
    }),
    z.object({ action: z.enum(["claim", "resolve", "release"]), secret: z.string(), ticket: z.string().min(1) }),
  ]),
});

export interface MattermostRoutesOptions {
  readonly channel: MattermostChannel;
  readonly store: Store;
  readonly log: Logger;
  readonly contact: Contact;
  readonly actionSecret: string;
  readonly commandToken?: string;
  /** The engine, for `/enso ask`. */
  readonly handle: (message: InboundMessage) => Promise<OutboundMessage | undefined>;
  readonly status: () => string;
  /** Staff actions on tickets (buttons of the staff card, `/enso claim|release|resolve`). */
  readonly staff?: StaffActions;
  /** "Talk to a human" under an answer: opens a ticket; returns what the user is told. */
  readonly openTicket?: (input: { userId: string; channelId: string; answerPostId: string; questionPostId: string; lang: "fr" | "en" }) => Promise<{ text: string; refused?: true } | undefined>;
}

/** What the staff buttons and commands do; the membership check is the server's, not the client's. */
export interface StaffActions {
  readonly channelId: string;
  act(action: StaffAction, ref: string, staff: StaffMember): ActionResult;
  /** The card as it should look now, to update it in the button's answer. */
  card(ref: string): { message: string; props: Record<string, unknown> } | undefined;
}

/** Serves the feedback buttons' callbacks and the `/enso` slash command on the bot's HTTP server. */
export function registerMattermostRoutes(server: HttpServer, options: MattermostRoutesOptions): void {
  const { store, log } = options;

  server.route("POST", ACTION_PATH, async (request) => {
    const parsed = actionRequest.safeParse(parseJson(request.body));
    if (!parsed.success) {
      log.warn({ issues: parsed.error.issues.length }, "a Mattermost action request could not be read");
      return { status: 400, body: { error: "bad request" } };
    }
    const { user_id: userId, post_id: postId } = parsed.data;
    const staffContext = parsed.data.context;
    if (!sameSecret(staffContext.secret, options.actionSecret)) {
      log.warn({ postId }, "a Mattermost action came with a wrong secret and was refused");
      return { status: 403, body: { error: "forbidden" } };
    }
    if ("ticket" in staffContext && (staffContext.action === "claim" || staffContext.action === "resolve" || staffContext.action === "release")) {
      const context = staffContext;
      const staff = options.staff;
      if (!staff) return { status: 200, body: { ephemeral_text: "Le transfert à l'équipe n'est pas configuré (MATTERMOST_STAFF_CHANNEL)." } };
      const member = await staffMember(options.channel, staff.channelId, userId);
      if (!member) {
        log.warn({ action: context.action, ref: context.ticket }, "a staff action by someone outside the staff channel was refused");
        return { status: 200, body: { ephemeral_text: "Seuls les membres du canal de l'équipe peuvent agir sur les demandes." } };
      }
      const result = staff.act(context.action, context.ticket, member);
      const card = staff.card(context.ticket);
      return { status: 200, body: { ...(card ? { update: card } : {}), ...(result.ok ? {} : { ephemeral_text: result.message }) } };
    }
    const context = staffContext as Extract<typeof staffContext, { lang: unknown }>;
    // "Talk to a human" opens a ticket when the desk is there; the user is told its reference.
    const opened = context.action === "human" && options.openTicket ? await options.openTicket({ userId, channelId: parsed.data.channel_id ?? "", answerPostId: postId, questionPostId: context.question_post_id ?? "", lang: context.lang }).catch((error: unknown) => {
      log.error({ err: error, postId }, "a ticket could not be opened from the button");
      return undefined;
    }) : undefined;
    // Not theirs to hand over: told so, and the buttons stay for the person who asked.
    if (opened?.refused) return { status: 200, body: { ephemeral_text: opened.text } };
    // The question (for the record) and the answer (to update it) are read together.
    const [question, post] = await Promise.all([
      context.question_post_id ? options.channel.rest.getPost(context.question_post_id).then((p: Post) => p.message, () => undefined) : undefined,
      options.channel.rest.getPost(postId).then((p: Post) => p, (error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
    ]);
    const asked = question ?? (context.ticket ? `ticket ${context.ticket}` : undefined);
    store.recordFeedback({ platform: "mattermost", messageId: postId, userId, value: context.action, ...(asked ? { question: asked } : {}), citedIds: (context.cited ?? "").split(",").filter(Boolean), at: new Date() });
    log.info({ postId, feedback: context.action }, "feedback recorded");
    const ephemeral = opened?.text ?? (context.action === "human" ? humanRouteText(context.lang, options.contact) : undefined);
    if (post instanceof Error) {
      log.warn({ err: post, postId }, "feedback recorded, but the post could not be read to show it");
      return { status: 200, body: { ephemeral_text: ephemeral ?? feedbackReceivedAttachment(context.lang, context.action).text } };
    }
    const props = { ...post.props, attachments: [feedbackReceivedAttachment(context.lang, context.action)] };
    return { status: 200, body: { update: { message: post.message, props }, ...(ephemeral ? { ephemeral_text: ephemeral } : {}) } };
  });

  server.route("POST", COMMAND_PATH, async (request) => {
    const form = new URLSearchParams(request.body);
    const header = request.headers.authorization ?? "";
    const token = header.toLowerCase().startsWith("token ") ? header.slice(6).trim() : (form.get("token") ?? "");
    if (!options.commandToken || !sameSecret(token, options.commandToken)) {
      log.warn({ configured: Boolean(options.commandToken) }, "a slash command came with a wrong or no token and was refused");
      return { status: 401, body: { response_type: "ephemeral", text: "Unauthorized: this command's token does not match MATTERMOST_COMMAND_TOKEN." } };
    }
    const text = (form.get("text") ?? "").trim();
    const [verb = "", ...rest] = text.split(/\s+/);
    const language = detectLanguage(text);
    const reply = (body: string) => ({ status: 200, body: { response_type: "ephemeral", text: neutralizeMentions(body) } });
    switch (verb.toLowerCase()) {
      case "ask":
      case "question": {
        const question = rest.join(" ");
        const outbound = await options.handle({
          platform: "mattermost",
          conversationId: form.get("channel_id") ?? "",
          threadId: `command:${form.get("user_id") ?? ""}`,
          messageId: form.get("trigger_id") || randomUUID(),
          userId: form.get("user_id") ?? "",
          userName: form.get("user_name") ?? "",
          text: question,
          isDirect: false,
          mentionsBot: true,
          receivedAt: new Date(),
          // The reply is ephemeral: a ticket opened here is answered by email, never in this "chat".
          ephemeral: true,
        });
        // No reply from the engine: the user is over the rate limit and was already told.
        return reply(outbound ? (outbound.kind === "text" ? outbound.text : outbound.answer.text) : rateLimitedText(language));
      }
      case "status":
        return reply(options.status());
      case "claim":
      case "release":
      case "resolve": {
        const staff = options.staff;
        if (!staff) return reply("Le transfert à l'équipe n'est pas configuré (MATTERMOST_STAFF_CHANNEL).");
        // Mattermost sends no thread with a slash command: the reference is required.
        const ref = rest[0];
        if (!ref) return reply(`Précisez la demande : \`/enso ${verb.toLowerCase()} ENSO-AAAAMMJJ-XXXXX\` (sa référence est en tête de sa carte).`);
        const member = await staffMember(options.channel, staff.channelId, form.get("user_id") ?? "");
        if (!member) return reply("Seuls les membres du canal de l'équipe peuvent agir sur les demandes.");
        const result = staff.act(verb.toLowerCase() as StaffAction, ref.toUpperCase(), member);
        return reply(result.ok ? `C'est fait : demande ${result.ticket.ref}, ${verb.toLowerCase() === "claim" ? "prise en charge" : verb.toLowerCase() === "release" ? "conversation rendue à l'assistant" : "résolue"}.` : result.message);
      }
      default:
        return reply(helpText(language));
    }
  });
}

function helpText(language: "fr" | "en"): string {
  return language === "en"
    ? "**/enso** — the ENSO assistant\n- `/enso ask <question>`: an answer from ENSO's documentation, visible to you only\n- `/enso status`: is the assistant working\n- `/enso claim|release|resolve <ticket>`: staff only, on a ticket\n- `/enso help`: this help\n\nYou can also write to the bot directly, or mention it in a channel."
    : "**/enso** — l'assistant ENSO\n- `/enso ask <question>` : une réponse tirée de la documentation d'ENSO, visible de vous seul\n- `/enso status` : l'état de l'assistant\n- `/enso claim|release|resolve <demande>` : pour l'équipe, prendre, rendre au bot, résoudre\n- `/enso help` : cette aide\n\nVous pouvez aussi écrire directement au bot, ou le mentionner dans un canal.";
}

/** The staff member behind a user id, if they are in the staff channel (asked of the server each time). */
async function staffMember(channel: MattermostChannel, staffChannelId: string, userId: string): Promise<StaffMember | undefined> {
  if (!userId) return undefined;
  try {
    await channel.rest.getChannelMember(staffChannelId, userId);
  } catch {
    return undefined;
  }
  const profile = await channel.rest.getUser(userId).catch(() => undefined);
  const name = profile ? [profile.first_name, profile.last_name].filter(Boolean).join(" ") || profile.username : userId;
  return { id: userId, name };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Constant-time comparison, so that the secret cannot be guessed from response times. */
function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
