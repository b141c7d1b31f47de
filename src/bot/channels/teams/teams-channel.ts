import { Activity, type ConversationReference } from "@microsoft/agents-activity";
import { AgentApplication, authorizeJWT, CardFactory, CloudAdapter, StreamingResponseResult, type AuthConfiguration, type ConnectorClient, type TurnContext, type TurnState } from "@microsoft/agents-hosting";
import type { Logger } from "pino";
import { z } from "zod";
import type { Contact } from "../../../answer/contact.js";
import { failureText, humanRouteText, smallTalkText } from "../../../answer/messages.js";
import { detectLanguage } from "../../../knowledge/detect-language.js";
import type { TeamsConfig } from "../../../config.js";
import type { ActionResult, StaffMember } from "../../../handoff/handoff-desk.js";
import type { ConversationRef } from "../../../handoff/ticket.js";
import type { HttpServer } from "../../../http/http-server.js";
import { withoutEmails } from "../../../handoff/outbox.js";
import { isPermanentStatus } from "../../../handoff/ticket-sink.js";
import type { Store } from "../../../store/store.js";
import type { ChatChannel, OutboundMessage } from "../../chat-channel.js";
import type { InboundMessage } from "../../inbound-message.js";
import { feedbackReceivedText } from "../../feedback-labels.js";
import { FEEDBACK_VERB, renderForTeams, STAFF_VERB, withFeedbackReceived, type AdaptiveCard, type TeamsReply } from "./render-for-teams.js";
import { personId, placeOf, plainText, threadConversationId, toInboundMessage } from "./to-inbound-message.js";

export const MESSAGES_PATH = "/api/messages";

/** Questions acknowledged but not answered before a stop are answered at the next start, up to this age. */
const REPLAY_WITHIN_MS = 3 * 24 * 3600_000;
/** How often replies that could not be sent (the connector was down) are tried again. */
const RESEND_EVERY_MS = 30_000;

type OnMessage = (message: InboundMessage, onProgress?: (textSoFar: string) => void) => Promise<OutboundMessage | undefined>;

/** What the Teams channel asks of the handoff desk (wired by start-services). */
export interface TeamsHandoff {
  /** True when a person holds this conversation for this user (a channel thread then needs no @mention). */
  readonly isHeld: (conversation: ConversationRef, userId: string) => boolean;
  /** A message in a ticket's thread of the staff channel; returns why it was not relayed, if it was not. */
  readonly onStaffMessage: (cardId: string, member: StaffMember, text: string, messageId: string) => Promise<string | undefined>;
  /** A staff card's button. */
  readonly act: (action: "claim" | "release" | "resolve", ref: string, member: StaffMember) => ActionResult;
  /** "Talk to a human" under an answer: opens a ticket; returns what the user is told. */
  readonly escalate: (message: InboundMessage, lang: "fr" | "en", answerText: string) => Promise<string | undefined>;
}

export interface TeamsChannelOptions {
  readonly config: TeamsConfig;
  readonly store: Store;
  readonly log: Logger;
  readonly http: HttpServer;
  readonly contact: Contact;
  readonly handoff?: TeamsHandoff;
}

const feedbackData = z.object({
  value: z.enum(["useful", "not_useful", "human"]),
  lang: z.enum(["fr", "en"]).catch("fr"),
  cited: z.string().max(2000).catch(""),
  question: z.string().max(4000).optional(),
  asker: z.string().max(200).optional(),
  ticket: z.string().max(40).optional(),
});

const staffData = z.object({ action: z.enum(["claim", "release", "resolve"]), ticket: z.string().min(1).max(40) });

/**
 * An error as logs may show it: the SDK's HTTP errors carry the whole activity sent (the answer, a
 * staff reply, a ticket card with a name and an address), so only the status, Teams' error code and
 * the message, without addresses, are kept.
 */
export function connectorErrorForLog(error: unknown): { status?: number; code?: string; message: string } {
  const failure = error as { status?: number; message?: string; response?: { data?: { error?: { code?: string } } } };
  const code = failure.response?.data?.error?.code;
  return { ...(typeof failure.status === "number" ? { status: failure.status } : {}), ...(code ? { code } : {}), message: withoutEmails(String(failure.message ?? error)).slice(0, 300) };
}

/** What `adapter.process` writes its answer to: the status and body, handed back to our HTTP server. */
class CollectedResponse {
  statusCode = 200;
  body: unknown;
  headersSent = false;
  writableEnded = false;

  status(code: number): this {
    this.statusCode = code;
    return this;
  }

  setHeader(): this {
    return this;
  }

  send(body?: unknown): this {
    this.body = body;
    this.headersSent = true;
    return this;
  }

  end(): this {
    this.writableEnded = true;
    return this;
  }
}

/**
 * Microsoft Teams through the Microsoft 365 Agents SDK: `POST /api/messages` on the bot's HTTP
 * server (JWT-checked whenever an app id is configured), one-to-one chats and @mentions in group
 * chats and channels (answered in the thread), answers as Adaptive Cards with their sources and
 * feedback buttons, a typing indicator, streamed answers in one-to-one chats, and the staff channel
 * (ticket cards, claims, replies relayed). Messages are acknowledged at once and answered in the
 * background (Teams re-sends a message it got no answer to within 15 s); a question acknowledged but
 * not answered when the bot stopped is answered at the next start. Messages the bot starts (relays,
 * cards) go through the stored conversation references, which survive restarts.
 */
export class TeamsChannel implements ChatChannel {
  readonly name = "teams" as const;
  readonly adapter: CloudAdapter;
  private readonly app: AgentApplication<TurnState>;
  private readonly jwt: ReturnType<typeof authorizeJWT>;
  /** Who the bot is when it writes first: its app id, or anonymous on a developer's machine. */
  private readonly identity: string | Record<string, never>;
  private onMessage: OnMessage | undefined;
  private readonly work = new Set<Promise<unknown>>();
  private readonly unsent = new Map<string, { conversationId: string; serviceUrl: string; activity: Partial<Activity> }>();
  private resendTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private answered = 0;
  private botAccount: { id: string; name?: string } | undefined;
  /** Question ids being answered again after a restart (pending, but not a duplicate). */
  private readonly replaying = new Set<string>();
  /** What was last stored per conversation: a message whose reference did not change writes nothing. */
  private readonly storedReferences = new Map<string, string>();

  constructor(private readonly options: TeamsChannelOptions) {
    const { config } = options;
    const auth: AuthConfiguration = config.appId ? { clientId: config.appId, ...(config.appPassword ? { clientSecret: config.appPassword } : {}), ...(config.tenantId ? { tenantId: config.tenantId } : {}) } : {};
    this.adapter = new CloudAdapter(auth);
    this.jwt = authorizeJWT(auth);
    this.identity = config.appId ?? {};
    this.app = new AgentApplication<TurnState>({ adapter: this.adapter, ...(config.appId ? { agentAppId: config.appId } : {}), longRunningMessages: true, removeRecipientMention: false, startTypingTimer: false });
    this.app.adaptiveCards.actionSubmit(FEEDBACK_VERB, async (context, _state, action) => this.track(this.onFeedback(context, action.data)));
    this.app.adaptiveCards.actionSubmit(STAFF_VERB, async (context, _state, action) => this.track(this.onStaffAction(context, action.data)));
    this.app.onActivity("message", async (context) => this.track(this.onMessageActivity(context)));
    this.app.onActivity("conversationUpdate", async (context) => this.onConversationUpdate(context));
    this.app.onActivity("installationUpdate", async (context) => this.remember(context.activity));
    this.app.onError(async (context, error) => {
      options.log.error({ error: connectorErrorForLog(error), activityType: context.activity?.type }, "a Teams turn failed");
      // Never silence: a person who wrote gets an apology with the human route.
      if (context.activity?.type === "message") {
        await context.sendActivity(Activity.fromObject({ type: "message", text: failureText(detectLanguage(context.activity.text ?? ""), options.contact) })).catch(() => undefined);
      }
    });
  }

  get status(): { answered: number } {
    return { answered: this.answered };
  }

  async start(onMessage: OnMessage): Promise<void> {
    this.onMessage = onMessage;
    this.options.http.route("POST", MESSAGES_PATH, async (request) => {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(request.body) as Record<string, unknown>;
      } catch {
        this.options.log.warn("a Teams request was not JSON and was refused");
        return { status: 400, body: { error: "bad request" } };
      }
      const req = { body, headers: request.headers as Record<string, string | string[] | undefined>, method: request.method };
      const res = new CollectedResponse();
      let allowed = false;
      await this.jwt(req, res as never, () => {
        allowed = true;
      });
      if (!allowed) {
        this.options.log.warn({ status: res.statusCode }, "a Teams request without a valid Bot Framework token was refused");
        return { status: res.statusCode === 200 ? 401 : res.statusCode, body: res.body ?? { error: "unauthorized" } };
      }
      await this.adapter.process(req, res as never, async (context) => this.app.run(context));
      return { status: res.statusCode, ...(res.body === undefined ? {} : { body: res.body }) };
    });
    this.resendTimer = setInterval(() => void this.resend(), RESEND_EVERY_MS);
    this.resendTimer.unref();
    void this.replayPending().catch((error: unknown) => this.options.log.error({ error: connectorErrorForLog(error) }, "the Teams questions left unanswered could not all be replayed"));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resendTimer) clearInterval(this.resendTimer);
    await this.idle();
  }

  /** Resolves when every turn under way has ended (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
  }

  private async track<T>(task: Promise<T>): Promise<T> {
    this.work.add(task);
    try {
      return await task;
    } finally {
      this.work.delete(task);
    }
  }

  /** Keeps how to write to the conversation again: its service URL, the bot's and the user's accounts. */
  private remember(activity: Activity): void {
    if (!activity.conversation?.id || !activity.serviceUrl) return;
    if (activity.recipient?.id) this.botAccount = { id: activity.recipient.id, ...(activity.recipient.name ? { name: activity.recipient.name } : {}) };
    const place = placeOf(activity);
    const reference = activity.getConversationReference();
    const { activityId: _activityId, ...kept } = reference;
    this.saveOnChange(place.conversationId, JSON.stringify({ ...kept, conversation: { ...kept.conversation, id: place.conversationId } }));
    // The latest service URL, for conversations the bot has no reference of yet (a staff channel before its first message).
    this.saveOnChange("serviceUrl", activity.serviceUrl);
  }

  /** Stores a reference when it differs from the one stored last (every message passes here: no write for nothing). */
  private saveOnChange(key: string, value: string): void {
    if (this.storedReferences.get(key) === value) return;
    this.options.store.saveReference("teams", key, value);
    this.storedReferences.delete(key);
    this.storedReferences.set(key, value);
    if (this.storedReferences.size > 5_000) this.storedReferences.delete(this.storedReferences.keys().next().value as string);
  }

  /** The app added: the reference is kept, and in a one-to-one chat the person is greeted and told what to ask. */
  private async onConversationUpdate(context: TurnContext): Promise<void> {
    const activity = context.activity;
    this.remember(activity);
    const botAdded = (activity.membersAdded ?? []).some((member) => member.id === activity.recipient?.id);
    if (!botAdded || placeOf(activity).kind !== "personal") return;
    const language = activity.locale?.toLowerCase().startsWith("en") ? "en" : "fr";
    await context.sendActivity(Activity.fromObject({ type: "message", text: smallTalkText("greeting", language, this.options.contact), textFormat: "markdown" }));
  }

  private async onMessageActivity(context: TurnContext): Promise<void> {
    const activity = context.activity;
    this.remember(activity);
    const { store, log, handoff, config } = this.options;
    const place = placeOf(activity);
    if (config.staffChannel && place.conversationId === config.staffChannel) {
      await this.onStaffChannelMessage(context);
      return;
    }
    const id = activity.id ?? "";
    // Teams sends a message again when its first delivery got no answer in time.
    if (!id || store.isHandled("teams", id) || (store.isPending("teams", id) && !this.replaying.has(id))) {
      log.debug({ activityId: id }, "Teams message already handled or under way");
      return;
    }
    const verdict = toInboundMessage(activity, handoff ? (where, userId) => handoff.isHeld({ platform: "teams", conversationId: where.conversationId, threadId: where.threadId ?? "" }, userId) : undefined);
    if ("ignore" in verdict) {
      log.debug({ activityId: id, reason: verdict.ignore }, "Teams message ignored");
      return;
    }
    if (!this.onMessage) return;
    store.addPending("teams", place.conversationId, id, Date.now(), JSON.stringify(activity));
    await this.answer(context, verdict.answer);
  }

  private async answer(context: TurnContext, message: InboundMessage): Promise<void> {
    const { store, log } = this.options;
    const activity = context.activity;
    const personal = placeOf(activity).kind === "personal";
    // Typing shows at once (an extractive answer takes milliseconds), and again every few seconds.
    await context.sendActivity(Activity.fromObject({ type: "typing" })).catch((error: unknown) => log.warn({ error: connectorErrorForLog(error) }, "the typing indicator could not be sent"));
    this.app.startTypingTimer(context);
    // One-to-one chats show a model's answer as it is written (Teams streams nowhere else).
    let shown = "";
    let streaming = false;
    const onProgress = personal
      ? (text: string) => {
          if (!text.startsWith(shown) || text.length === shown.length) return;
          context.streamingResponse.queueTextChunk(text.slice(shown.length));
          shown = text;
          streaming = true;
        }
      : undefined;
    let outbound: OutboundMessage | undefined;
    try {
      outbound = await (this.onMessage as OnMessage)({ ...message, userProfile: () => this.memberProfile(context) }, onProgress);
    } finally {
      this.app.stopTypingTimer(context);
    }
    if (!outbound || (outbound.stillWanted && !outbound.stillWanted())) {
      if (outbound) {
        log.info({ activityId: activity.id }, "reply dropped: a person holds the conversation now");
        outbound.dropped?.();
      }
      // A stream shown already is closed, never left half-written.
      if (streaming) await this.closeStream(context, { text: "…" });
      store.markHandled("teams", activity.id ?? "");
      return;
    }
    const reply = renderForTeams(outbound, { asker: message.userId });
    const outgoing = toActivity(reply);
    let sentId: string | undefined;
    try {
      // A stream Teams cut short (the connector failed, a second stream in the chat) ends as a plain reply.
      if (streaming) sentId = await this.closeStream(context, reply);
      if (!sentId) sentId = (await context.sendActivity(outgoing))?.id;
    } catch (error) {
      // Kept and tried again: the connector may be down for a while.
      log.error({ error: connectorErrorForLog(error), activityId: activity.id }, "could not reply in Teams; the reply is tried again every 30 s");
      this.unsent.set(activity.id ?? "", { conversationId: activity.conversation?.id ?? "", serviceUrl: activity.serviceUrl ?? "", activity: outgoing });
      return;
    }
    if ("card" in reply && sentId) store.rememberCard("teams", sentId, JSON.stringify(reply.card));
    store.markHandled("teams", activity.id ?? "");
    this.answered++;
  }

  /**
   * Ends a stream with the final reply (Teams replaces the streamed text with it); returns its id, or
   * undefined when the stream did not end well (the SDK swallows send errors and cancels the stream):
   * the reply is then sent as a plain message.
   */
  private async closeStream(context: TurnContext, reply: TeamsReply): Promise<string | undefined> {
    const stream = context.streamingResponse;
    // The SDK swallows a failed final message and still reports success: watched for here.
    let finalFailed = false;
    context.onSendActivities(async (_context, activities, next) => {
      try {
        return await next();
      } catch (error) {
        if (activities.some((activity) => (activity.entities ?? []).some((entity) => (entity as { streamType?: string }).streamType === "final"))) finalFailed = true;
        throw error;
      }
    });
    const final = toActivity(reply);
    if ("card" in reply) stream.setAttachments(final.attachments ?? []);
    stream.setFinalMessage(Activity.fromObject({ type: "message", ...("text" in reply ? { text: reply.text } : {}) }));
    const result = await stream.endStream();
    if (result !== StreamingResponseResult.Success || finalFailed) {
      this.options.log.warn({ activityId: context.activity.id, result, finalFailed }, "the Teams stream did not end well; the answer is sent as a plain message");
      return undefined;
    }
    return stream.streamId;
  }

  /** The user's email and full name (for tickets), from the connector's member record. */
  private async memberProfile(context: TurnContext): Promise<{ email?: string; name?: string }> {
    const client = context.turnState.get<ConnectorClient>(this.adapter.ConnectorClientKey);
    const activity = context.activity;
    const member = await client.getConversationMember(activity.from?.id ?? "", placeOf(activity).conversationId);
    const record = member as { email?: string; userPrincipalName?: string; name?: string };
    const email = record.email || record.userPrincipalName;
    return { ...(email ? { email } : {}), ...(record.name ? { name: record.name } : {}) };
  }

  private async onFeedback(context: TurnContext, data: unknown): Promise<void> {
    const { store, log, handoff } = this.options;
    const parsed = feedbackData.safeParse(data);
    const activity = context.activity;
    this.remember(activity);
    const cardId = activity.replyToId ?? "";
    if (!parsed.success || !cardId) {
      log.warn({ activityId: activity.id }, "a Teams feedback click could not be read");
      return;
    }
    const choice = parsed.data;
    const userId = personId(activity.from);
    const place = placeOf(activity);
    if (choice.value === "human" && place.kind !== "personal" && choice.asker && choice.asker !== userId) {
      await context.sendActivity(choice.lang === "en" ? "Only the person who asked this question can hand it to the ENSO team." : "Seule la personne qui a posé cette question peut la confier à l'équipe ENSO.");
      return;
    }
    const saved = store.card("teams", cardId);
    let told: string | undefined;
    if (choice.value === "human" && handoff) {
      told = await handoff
        .escalate(
          {
            platform: "teams",
            conversationId: place.conversationId,
            ...(place.kind === "channel" && place.threadId ? { threadId: place.threadId } : {}),
            messageId: `human-button:${cardId}`,
            userId,
            userName: activity.from?.name ?? "",
            text: choice.question ?? "",
            isDirect: place.kind === "personal",
            mentionsBot: true,
            receivedAt: new Date(),
            userProfile: () => this.memberProfile(context),
          },
          choice.lang,
          saved ? (JSON.parse(saved) as { fallbackText?: string }).fallbackText ?? "" : "",
        )
        .catch((error: unknown) => {
          log.error({ error: connectorErrorForLog(error) }, "a ticket could not be opened from the Teams button");
          return undefined;
        });
    }
    const asked = choice.question ?? (choice.ticket ? `ticket ${choice.ticket}` : undefined);
    store.recordFeedback({ platform: "teams", messageId: cardId, userId, value: choice.value, ...(asked ? { question: asked } : {}), citedIds: choice.cited.split(",").filter(Boolean), at: new Date() });
    log.info({ messageId: cardId, feedback: choice.value }, "feedback recorded");
    if (saved) {
      const updated = withFeedbackReceived(JSON.parse(saved) as AdaptiveCard, choice.lang, choice.value);
      await context.updateActivity(Activity.fromObject({ type: "message", id: cardId, attachments: [CardFactory.adaptiveCard(updated)] })).catch((error: unknown) => log.warn({ error: connectorErrorForLog(error) }, "the answer card could not be redrawn after the click"));
      store.rememberCard("teams", cardId, JSON.stringify(updated));
    }
    const reply = told ?? (choice.value === "human" ? humanRouteText(choice.lang, this.options.contact) : saved ? undefined : feedbackReceivedText(choice.lang, choice.value));
    if (reply) await context.sendActivity(Activity.fromObject({ type: "message", text: reply }));
  }

  private async onStaffAction(context: TurnContext, data: unknown): Promise<void> {
    const { log, handoff, config } = this.options;
    const activity = context.activity;
    const parsed = staffData.safeParse(data);
    if (!parsed.success || !handoff) {
      log.warn({ activityId: activity.id }, "a Teams staff click could not be read");
      return;
    }
    // Teams says (in the signed activity) where the click came from: only the staff channel may act.
    if (!config.staffChannel || placeOf(activity).conversationId !== config.staffChannel) {
      log.warn({ action: parsed.data.action, ref: parsed.data.ticket }, "a staff action from outside the staff channel was refused");
      await context.sendActivity("Seuls les membres du canal de l'équipe peuvent agir sur les demandes.");
      return;
    }
    const member = { id: personId(activity.from), name: activity.from?.name || personId(activity.from) };
    const result = handoff.act(parsed.data.action, parsed.data.ticket, member);
    // The card itself is redrawn through the outbox, like every staff channel's.
    if (!result.ok) await context.sendActivity(Activity.fromObject({ type: "message", text: result.message }));
  }

  private async onStaffChannelMessage(context: TurnContext): Promise<void> {
    const { store, log, handoff } = this.options;
    const activity = context.activity;
    const place = placeOf(activity);
    const id = activity.id ?? "";
    // Only replies in a card's thread matter; a new post starts a thread of its own.
    if (!handoff || !id || !activity.conversation?.id.includes(";messageid=") || !place.threadId || store.isHandled("teams", id)) return;
    if (activity.from?.role === "bot" || activity.from?.id === activity.recipient?.id) return;
    const text = plainText(activity);
    if (!text) return;
    const member = { id: personId(activity.from), name: activity.from?.name || personId(activity.from) };
    try {
      const refusal = await handoff.onStaffMessage(place.threadId, member, text, id);
      if (refusal) await context.sendActivity(Activity.fromObject({ type: "message", text: refusal }));
      store.markHandled("teams", id);
    } catch (error) {
      log.error({ error: connectorErrorForLog(error), activityId: id }, "a staff reply in Teams could not be handled");
      await context.sendActivity(Activity.fromObject({ type: "message", text: "⚠️ Ce message n'a pas pu être transmis ; réessayez dans un instant." })).catch(() => undefined);
    }
  }

  /** Questions acknowledged before a stop but never answered: answered now, through their stored copy. */
  private async replayPending(): Promise<void> {
    const { store, log } = this.options;
    for (const pending of store.pendingPayloads("teams")) {
      if (this.stopped) return;
      if (Date.now() - pending.createdAt > REPLAY_WITHIN_MS) {
        log.warn({ activityId: pending.messageId }, "a Teams question left unanswered for days is dropped");
        store.markHandled("teams", pending.messageId);
        continue;
      }
      let activity: Activity;
      try {
        activity = Activity.fromJson(pending.payload);
      } catch (error) {
        // Unreadable (a truncated write, an SDK that reads activities more strictly): dropped, not retried at every start.
        log.error({ activityId: pending.messageId, error: connectorErrorForLog(error) }, "a stored Teams question could not be read and is dropped");
        store.markHandled("teams", pending.messageId);
        continue;
      }
      this.replaying.add(pending.messageId);
      log.info({ activityId: pending.messageId }, "a Teams question left unanswered at the last stop is answered now");
      await this.track(
        this.adapter
          .continueConversation(this.identity as string, activity.getConversationReference(), async (context) => {
            Object.assign(context.activity, activity);
            await this.onMessageActivity(context);
          })
          .catch((error: unknown) => log.error({ error: connectorErrorForLog(error), activityId: pending.messageId }, "a Teams question could not be answered after the restart"))
          .finally(() => this.replaying.delete(pending.messageId)),
      );
    }
  }

  /** Replies the connector refused (it was down): sent again. */
  private async resend(): Promise<void> {
    for (const [questionId, item] of [...this.unsent]) {
      if (this.stopped) return;
      try {
        const response = await this.withConnector(item.serviceUrl, (client) => client.replyToActivity(item.conversationId, questionId, Activity.fromObject({ ...item.activity, conversation: { id: item.conversationId } })));
        this.unsent.delete(questionId);
        const card = item.activity.attachments?.[0]?.content;
        if (card && response?.id) this.options.store.rememberCard("teams", response.id, JSON.stringify(card));
        this.options.store.markHandled("teams", questionId);
        this.answered++;
      } catch (error) {
        if (isPermanentStatus((error as { status?: number }).status)) {
          // The conversation is gone (the app removed, the chat deleted): nobody can read the reply.
          this.options.log.error({ error: connectorErrorForLog(error), activityId: questionId }, "a Teams reply was refused for good and is dropped");
          this.unsent.delete(questionId);
          this.options.store.markHandled("teams", questionId);
        } else this.options.log.warn({ error: connectorErrorForLog(error), activityId: questionId }, "a Teams reply could not be sent again; next try in 30 s");
      }
    }
  }

  /**
   * Runs `use` with a connector client for `serviceUrl`, authenticated as the bot (anonymous on a
   * developer's machine): for messages the bot starts, card updates and new staff threads.
   */
  async withConnector<T>(serviceUrl: string, use: (client: ConnectorClient) => Promise<T>): Promise<T> {
    let result: T | undefined;
    let failure: { error: unknown } | undefined;
    const reference = { channelId: "msteams", serviceUrl, conversation: { id: "proactive" } } as ConversationReference;
    // The adapter hands a turn's errors to the app's error handler and does not rethrow them: caught
    // here, so that the caller (the outbox above all) knows the send failed and tries again.
    await this.adapter.continueConversation(this.identity as string, reference, async (context) => {
      try {
        result = await use(context.turnState.get<ConnectorClient>(this.adapter.ConnectorClientKey));
      } catch (error) {
        failure = { error };
      }
    });
    if (failure) throw failure.error;
    return result as T;
  }

  /** Where to write to a conversation: its stored reference's service URL, or the configured one. */
  serviceUrlFor(conversationId: string): string {
    const stored = this.options.store.reference("teams", conversationId);
    if (stored) return (JSON.parse(stored) as { serviceUrl: string }).serviceUrl;
    return this.options.store.reference("teams", "serviceUrl") ?? this.options.config.serviceUrl;
  }

  /** Posts in a conversation (a channel thread when `threadId` is given); returns the message's id. */
  async post(conversation: { conversationId: string; threadId?: string }, reply: TeamsReply): Promise<string | undefined> {
    const conversationId = threadConversationId(conversation.conversationId, conversation.threadId);
    const stored = this.options.store.reference("teams", conversation.conversationId);
    const reference = stored ? (JSON.parse(stored) as Partial<ConversationReference>) : {};
    const activity = Activity.fromObject({ ...toActivity(reply), channelId: "msteams", conversation: { id: conversationId }, ...(reference.agent ? { from: reference.agent } : this.botAccount ? { from: this.botAccount } : {}) });
    const response = await this.withConnector(this.serviceUrlFor(conversation.conversationId), (client) => client.sendToConversation(conversationId, activity));
    if ("card" in reply && response?.id) this.options.store.rememberCard("teams", response.id, JSON.stringify(reply.card));
    return response?.id;
  }

  /** Redraws a message the bot posted. */
  async update(conversation: { conversationId: string; threadId?: string }, messageId: string, reply: TeamsReply): Promise<void> {
    const conversationId = threadConversationId(conversation.conversationId, conversation.threadId);
    const activity = Activity.fromObject({ ...toActivity(reply), id: messageId, channelId: "msteams", conversation: { id: conversationId } });
    await this.withConnector(this.serviceUrlFor(conversation.conversationId), (client) => client.updateActivity(conversationId, messageId, activity));
  }

  /** Starts a new thread in a team channel (POST /v3/conversations); returns its first message's id. */
  async startThread(channelId: string, reply: TeamsReply): Promise<string> {
    const activity = Activity.fromObject({ ...toActivity(reply), channelId: "msteams" });
    const tenantId = this.options.config.tenantId;
    const result = await this.withConnector(this.serviceUrlFor(channelId), (client) =>
      client.createConversation({ isGroup: true, channelData: { channel: { id: channelId }, ...(tenantId ? { tenant: { id: tenantId } } : {}) }, activity, ...(this.botAccount ? { agent: this.botAccount } : {}), ...(tenantId ? { tenantId } : {}) } as never),
    );
    const created = result as { id?: string; activityId?: string };
    const id = created.activityId ?? created.id?.split(";messageid=")[1];
    if (!id) throw new Error("Teams did not say which message started the thread");
    if ("card" in reply) this.options.store.rememberCard("teams", id, JSON.stringify(reply.card));
    return id;
  }
}

/** A reply as a message activity: Markdown text, or one Adaptive Card. */
export function toActivity(reply: TeamsReply): Activity {
  return "card" in reply ? Activity.fromObject({ type: "message", attachments: [CardFactory.adaptiveCard(reply.card)] }) : Activity.fromObject({ type: "message", text: reply.text, textFormat: "markdown" });
}
