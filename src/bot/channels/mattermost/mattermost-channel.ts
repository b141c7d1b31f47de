import type { Channel } from "@mattermost/types/channels";
import type { Post } from "@mattermost/types/posts";
import type { Team } from "@mattermost/types/teams";
import type { UserProfile } from "@mattermost/types/users";
import mattermost from "@mattermost/client";
import type { Logger } from "pino";
import type { MattermostConfig } from "../../../config.js";
import type { Store } from "../../../store/store.js";
import type { ChatChannel, OutboundMessage } from "../../chat-channel.js";
import type { InboundMessage } from "../../inbound-message.js";
import { closeForGood } from "./close-for-good.js";
import { installWebSocketGlobals, newWebSocket } from "./install-websocket-globals.js";
import { isPost, postedReplyParts, readPostsSince } from "./read-posts-since.js";
import { renderForMattermost, type PostDraft } from "./render-for-mattermost.js";
import { StreamingDraft } from "./streaming-draft.js";
import { toInboundMessage, type BotIdentity, type ChannelInfo } from "./to-inbound-message.js";

const { Client4, WebSocketClient } = mattermost;
type Client = InstanceType<typeof Client4>;
type Socket = InstanceType<typeof WebSocketClient>;

/** A catch-up reads back this far before the last position, for posts that arrived out of order. */
const CATCH_UP_OVERLAP_MS = 5 * 60 * 1000;
/** Typing shows for about 5 s in Mattermost clients: renew it while the answer is prepared. */
const TYPING_EVERY_MS = 3000;

interface UnsentReply {
  readonly post: Post;
  readonly channel: ChannelInfo;
  readonly threadId: string | undefined;
  readonly drafts: readonly PostDraft[];
  nextPart: number;
  readonly stillWanted?: () => boolean;
  readonly dropped?: () => void;
  /** The streamed draft that part 0 replaces. */
  readonly draftId?: string;
}

export interface MattermostChannelOptions {
  readonly config: MattermostConfig;
  readonly store: Store;
  readonly log: Logger;
  /** Where Mattermost POSTs button clicks (served by the bot's HTTP server). */
  readonly actionUrl: string;
  readonly actionSecret: string;
  /** How often a streamed answer's post is updated (500 ms by default). */
  readonly streamEveryMs?: number;
  /** Reconnection delays; the defaults are Mattermost's own (3 s growing to 5 min). */
  readonly retry?: { readonly minMs: number; readonly maxMs: number; readonly jitterMs: number };
  /** Handoff: the staff channel's posts go to `onStaffPost`; thread posts of conversations a person holds are relayed even without a mention. */
  readonly handoff?: {
    readonly staffChannelId: () => string | undefined;
    /** Called in the order posts arrive; `userName` is looked up only when needed. */
    readonly onStaffPost: (post: Post, userName: () => Promise<string>) => Promise<void>;
    /** True when a person holds (or a ticket waits on) this conversation and `userId` is the one who asked. */
    readonly isHeld: (conversation: { platform: string; conversationId: string; threadId: string }, userId: string) => boolean;
  };
}

/** What the channel reports on /healthz and `/enso status`. */
export interface MattermostStatus {
  readonly connected: boolean;
  readonly bot?: string;
  readonly answered: number;
  readonly lastEventAt?: string;
}

/**
 * The assistant in Mattermost, as a bot account: WebSocket events in, REST posts out, through
 * @mattermost/client. Nothing lost, nothing twice: after a reconnect, a new connection id (server
 * restart, missed events) or a restart of the bot, it reads the posts it missed in every channel it
 * is in (`GET /channels/{id}/posts?since=`), and it answers a post only when the store does not
 * already hold it as answered. Its own replies carry the question's id (`props.enso_reply_to`), so
 * that a crash between replying and recording cannot make it answer twice either.
 */
export class MattermostChannel implements ChatChannel {
  readonly name = "mattermost" as const;
  private readonly client: Client;
  private socket: Socket | undefined;
  private bot: BotIdentity | undefined;
  private onMessage: ((message: InboundMessage, onProgress?: (textSoFar: string) => void) => Promise<OutboundMessage | undefined>) | undefined;
  private readonly channels = new Map<string, ChannelInfo>();
  private readonly userNames = new Map<string, string>();
  private readonly inFlight = new Set<string>();
  /** Replies not (fully) posted yet, retried after the next reconnection: from part `nextPart` on. */
  private readonly unsent = new Map<string, UnsentReply>();
  private readonly work = new Set<Promise<void>>();
  private allowedTeamIds: Set<string> | undefined;
  private connected = false;
  private answered = 0;
  private lastEventAt: Date | undefined;
  private catchingUp: Promise<void> | undefined;
  private catchUpAgain: string | undefined;
  private stopped = false;
  private onHello: (() => void) | undefined;
  private readonly profiles = new Map<string, { profile: { email?: string; name?: string }; until: number }>();

  constructor(private readonly options: MattermostChannelOptions) {
    this.client = new Client4();
    this.client.setUrl(options.config.url);
    this.client.setToken(options.config.token);
  }

  get status(): MattermostStatus {
    return { connected: this.connected, ...(this.bot ? { bot: this.bot.username } : {}), answered: this.answered, ...(this.lastEventAt ? { lastEventAt: this.lastEventAt.toISOString() } : {}) };
  }

  /** The bot account's user id, once connected. */
  get botUserId(): string | undefined {
    return this.bot?.id;
  }

  /** True for direct and group messages (one conversation whatever the thread). */
  async isDirectChannel(channelId: string): Promise<boolean> {
    const type = (await this.channelInfo(channelId)).type;
    return type === "D" || type === "G";
  }

  /** A user's username (cached), "" when unknown. */
  userNameOf(userId: string): Promise<string> {
    return this.userName(userId);
  }

  /** The REST client, for the HTTP handlers of this channel (buttons, slash command). */
  get rest(): Client {
    return this.client;
  }

  async start(onMessage: (message: InboundMessage, onProgress?: (textSoFar: string) => void) => Promise<OutboundMessage | undefined>): Promise<void> {
    this.onMessage = onMessage;
    installWebSocketGlobals();
    const me = await this.withRetry("reach the Mattermost server", () => this.client.getMe());
    if (this.stopped) return;
    this.bot = { id: me.id, username: me.username };
    this.allowedTeamIds = await this.resolveTeams();
    this.options.log.info({ bot: me.username, teams: this.allowedTeamIds ? [...this.allowedTeamIds].length : "all" }, "connected to Mattermost");

    const retry = this.options.retry ?? { minMs: 3000, maxMs: 300_000, jitterMs: 2000 };
    const socket = new WebSocketClient({ newWebSocketFn: newWebSocket, minWebSocketRetryTime: retry.minMs, maxWebSocketRetryTime: retry.maxMs, reconnectJitterRange: retry.jitterMs });
    this.socket = socket;
    // Listeners before initialize(): otherwise sequence numbers never advance (see shared/notes).
    socket.addMessageListener((event) => this.onEvent(event as { event: string; data: Record<string, unknown> }));
    socket.addFirstConnectListener(() => this.setConnected(true, "first connection"));
    socket.addReconnectListener(() => {
      this.setConnected(true, "reconnected");
      this.catchUp("reconnected");
    });
    socket.addMissedMessageListener(() => this.catchUp("the server lost our events (restart or long disconnection)"));
    socket.addCloseListener((failures: number) => this.setConnected(false, `connection closed (${failures} failure(s) in a row)`));
    const authenticated = new Promise<void>((resolve) => (this.onHello = resolve));
    socket.initialize(this.client.getWebSocketUrl().replace(/^http/, "ws"), this.options.config.token);
    // The server sends "hello" once the socket is authenticated: from then on no post is missed, so
    // the catch-up of a restart (what was posted while the bot was away) starts then. A server that
    // never says hello does not hold the start for more than 10 s.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([authenticated, new Promise<void>((resolve) => (timer = setTimeout(resolve, 10_000)))]);
    clearTimeout(timer);
    this.catchUp("started");
    await this.catchingUp;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.socket) closeForGood(this.socket);
    this.connected = false;
    await Promise.allSettled([...this.work]);
    await this.catchingUp;
  }

  /** Resolves for tests and the benchmark once every question received so far is answered. */
  async idle(): Promise<void> {
    while (this.work.size > 0 || this.catchingUp) await Promise.allSettled([...this.work, this.catchingUp]);
  }

  private setConnected(connected: boolean, why: string): void {
    if (this.connected !== connected) this.options.log[connected ? "info" : "warn"]({ why }, connected ? "Mattermost WebSocket connected" : "Mattermost WebSocket disconnected");
    this.connected = connected;
  }

  private onEvent(event: { event: string; data: Record<string, unknown> }): void {
    if (this.stopped) return;
    this.lastEventAt = new Date();
    if (event.event === "hello") {
      this.onHello?.();
      this.onHello = undefined;
    }
    if (event.event !== "posted" || typeof event.data?.post !== "string") return;
    // Thrown here, an error would surface inside the WebSocket library's handler: never let it.
    try {
      const post = JSON.parse(event.data.post) as Post | null;
      if (!isPost(post)) {
        this.options.log.warn("a posted event without a readable post was skipped");
        return;
      }
      const mentions = typeof event.data.mentions === "string" ? safeJsonArray(event.data.mentions) : [];
      const channel: ChannelInfo = { id: post.channel_id, type: String(event.data.channel_type ?? ""), name: String(event.data.channel_name ?? ""), teamId: String(event.data.team_id ?? "") };
      if (!this.channels.has(channel.id) && channel.type) this.channels.set(channel.id, channel);
      if (typeof event.data.sender_name === "string") this.userNames.set(post.user_id, event.data.sender_name.replace(/^@/, ""));
      this.track(this.consider(post, channel, mentions));
    } catch (error) {
      this.options.log.error({ err: error }, "a posted event could not be handled");
    }
  }

  private track(task: Promise<void>): void {
    const tracked = task.catch((error: unknown) => this.options.log.error({ err: error }, "a Mattermost task failed")).finally(() => this.work.delete(tracked));
    this.work.add(tracked);
  }

  /**
   * Answers a post if it is a question for the bot that was not answered yet. `firstPart` > 0
   * resumes a split reply whose first parts were posted before a crash.
   */
  private async consider(post: Post, channel: ChannelInfo, mentions?: readonly string[], firstPart = 0): Promise<void> {
    const { store, log } = this.options;
    const bot = this.bot;
    if (this.stopped || !bot || !this.onMessage || this.inFlight.has(post.id) || this.unsent.has(post.id) || store.isHandled("mattermost", post.id)) return;
    const handoff = this.options.handoff;
    if (handoff && channel.id === handoff.staffChannelId()) {
      await this.considerStaffPost(post, channel);
      return;
    }
    if (!this.isAllowed(channel)) {
      store.advancePosition("mattermost", channel.id, post.create_at);
      return;
    }
    let verdict = toInboundMessage(post, channel, bot, this.userNames.get(post.user_id) ?? "", mentions);
    // In a channel thread a person has taken over, the user no longer needs to mention the bot.
    if ("ignore" in verdict && verdict.ignore === "not_addressed" && post.root_id && handoff?.isHeld({ platform: "mattermost", conversationId: channel.id, threadId: post.root_id }, post.user_id)) {
      verdict = toInboundMessage(post, channel, bot, this.userNames.get(post.user_id) ?? "", [bot.id]);
    }
    if ("ignore" in verdict) {
      log.debug({ postId: post.id, reason: verdict.ignore }, "post ignored");
      store.advancePosition("mattermost", channel.id, post.create_at);
      return;
    }
    this.inFlight.add(post.id);
    // Kept until the reply is posted: a catch-up after a restart reads back to it.
    store.addPending("mattermost", channel.id, post.id, post.create_at);
    const stopTyping = this.showTyping(channel.id, verdict.answer.threadId ?? "");
    // A model's answer shows as it is written; the typing indicator stops at its first words.
    const draft = new StreamingDraft(this.client, { channelId: post.channel_id, rootId: verdict.answer.threadId ?? "", replyTo: post.id }, { everyMs: this.options.streamEveryMs ?? 500, maxChars: this.options.config.maxPostChars, log, onFirstText: stopTyping });
    try {
      const named = verdict.answer.userName ? verdict.answer : { ...verdict.answer, userName: await this.userName(post.user_id) };
      const message = { ...named, userProfile: () => this.userProfile(post.user_id) };
      const outbound = await this.onMessage(message, (text) => draft.update(text));
      const draftId = await draft.close();
      if (!outbound) {
        if (draftId) await draft.discard();
        // Deliberately unanswered (a rate-limited user already warned): not to be answered later either.
        store.markHandled("mattermost", post.id);
        return;
      }
      const drafts = renderForMattermost(outbound, { maxChars: this.options.config.maxPostChars, actionUrl: this.options.actionUrl, secret: this.options.actionSecret, questionPostId: post.id });
      const reply: UnsentReply = { post, channel, threadId: verdict.answer.threadId, drafts, nextPart: Math.min(firstPart, drafts.length - 1), ...(outbound.stillWanted ? { stillWanted: outbound.stillWanted } : {}), ...(outbound.dropped ? { dropped: outbound.dropped } : {}), ...(draftId && firstPart === 0 ? { draftId } : {}) };
      // Resuming after a crash: the first parts are out already, the new draft is not needed.
      if (draftId && firstPart > 0) await draft.discard();
      this.unsent.set(post.id, reply);
      await this.send(reply);
    } catch (error) {
      log.error({ err: error, postId: post.id }, "could not reply in Mattermost; the reply is retried after the next reconnection");
    } finally {
      // A draft left by a failure before any reply was queued is withdrawn, not left half-written.
      if (!this.unsent.has(post.id) && !store.isHandled("mattermost", post.id)) void draft.discard();
      else void draft.close();
      stopTyping();
      this.inFlight.delete(post.id);
    }
  }

  /** Posts what is left of a reply; on success the question is recorded as answered. */
  private async send(reply: UnsentReply): Promise<void> {
    const { post, drafts } = reply;
    for (; reply.nextPart < drafts.length; reply.nextPart++) {
      const i = reply.nextPart;
      const draft = drafts[i] as PostDraft;
      if (reply.stillWanted && !reply.stillWanted()) {
        // A person took the conversation over while the answer was prepared: the bot stays silent.
        this.options.log.info({ postId: post.id }, "reply dropped: a person holds the conversation now");
        if (i === 0) reply.dropped?.();
        if (i === 0 && reply.draftId) await this.client.deletePost(reply.draftId).catch(() => undefined);
        break;
      }
      const props = { ...draft.props, enso_reply_to: post.id, enso_part: i, enso_parts: drafts.length };
      if (i === 0 && reply.draftId) {
        // The streamed draft becomes the answer: its final text, sources and buttons.
        try {
          await this.client.patchPost({ id: reply.draftId, message: draft.message, props } as Partial<Post> & { id: string });
          continue;
        } catch (error) {
          const status = (error as { status_code?: number }).status_code;
          if (status !== 404) throw error;
          // The draft is gone (deleted by someone, or by a retention job): the answer is posted anew.
          this.options.log.warn({ postId: post.id, status }, "the streamed draft is gone; the answer is posted as a new post");
          (reply as { draftId?: string }).draftId = undefined;
        }
      }
      await this.client.createPost({
        channel_id: post.channel_id,
        root_id: reply.threadId ?? "",
        message: draft.message,
        // Lets a catch-up see which parts of the answer to this question were posted, even if the bot
        // died before recording it.
        props,
        pending_post_id: `enso-${post.id}-${i}`,
      } as Partial<Post> as Post);
    }
    this.unsent.delete(post.id);
    this.options.store.markHandled("mattermost", post.id);
    this.options.store.advancePosition("mattermost", reply.channel.id, post.create_at);
    this.answered++;
  }

  private showTyping(channelId: string, parentId: string): () => void {
    const send = () => this.socket?.userTyping(channelId, parentId);
    send();
    const timer = setInterval(send, TYPING_EVERY_MS);
    return () => clearInterval(timer);
  }

  /** A post in the staff channel: a reply in a ticket's thread goes to the handoff desk, once. */
  private async considerStaffPost(post: Post, channel: ChannelInfo): Promise<void> {
    const { store, log, handoff } = this.options;
    const isPerson = post.user_id !== this.bot?.id && !post.type && post.delete_at === 0 && post.props?.from_bot !== "true" && post.props?.from_webhook !== "true";
    if (handoff && isPerson && post.root_id && !store.isHandled("mattermost", post.id)) {
      // Kept pending until relayed: a catch-up reads back to it if handling fails.
      store.addPending("mattermost", channel.id, post.id, post.create_at);
      this.inFlight.add(post.id);
      try {
        await handoff.onStaffPost(post, () => this.userName(post.user_id));
      } catch (error) {
        log.error({ err: error, postId: post.id }, "a staff reply could not be handled; it is read again at the next catch-up");
        return;
      } finally {
        this.inFlight.delete(post.id);
      }
    }
    store.markHandled("mattermost", post.id);
    store.advancePosition("mattermost", channel.id, post.create_at);
  }

  /** The user's email and full name, for tickets (empty when the server hides them from the bot); cached 10 min. */
  async userProfile(userId: string): Promise<{ email?: string; name?: string }> {
    const cached = this.profiles.get(userId);
    if (cached && cached.until > Date.now()) return cached.profile;
    const user = (await this.client.getUser(userId)) as UserProfile;
    const name = [user.first_name, user.last_name].filter(Boolean).join(" ");
    const profile = { ...(user.email ? { email: user.email } : {}), ...(name ? { name } : {}) };
    if (this.profiles.size >= 5000) this.profiles.clear();
    this.profiles.set(userId, { profile, until: Date.now() + 600_000 });
    return profile;
  }

  /** Starts a catch-up; one asked for while another runs runs again right after it. */
  private catchUp(why: string): void {
    if (this.stopped) return;
    if (this.catchingUp) {
      this.catchUpAgain = why;
      return;
    }
    this.catchingUp = (async () => {
      for (let reason: string | undefined = why; reason !== undefined && !this.stopped; ) {
        this.catchUpAgain = undefined;
        await this.runCatchUp(reason);
        reason = this.catchUpAgain;
      }
    })().finally(() => (this.catchingUp = undefined));
  }

  private async runCatchUp(why: string): Promise<void> {
    const { store, log } = this.options;
    // A snapshot: send() keeps a reply in `unsent` until its last part is posted.
    for (const reply of [...this.unsent.values()]) {
      if (this.inFlight.has(reply.post.id)) continue;
      this.inFlight.add(reply.post.id);
      this.track(
        this.send(reply)
          .catch((error: unknown) => log.error({ err: error, postId: reply.post.id }, "reply still failing; retried after the next reconnection"))
          .finally(() => this.inFlight.delete(reply.post.id)),
      );
    }
    let channels: Map<string, ChannelInfo>;
    try {
      channels = await this.memberChannels();
    } catch (error) {
      log.error({ err: error, why }, "Mattermost catch-up failed (channels unreadable); it runs again at the next reconnection");
      return;
    }
    const positions = store.positions("mattermost");
    const newest = Math.max(0, ...positions.values());
    for (const id of positions.keys()) if (!channels.has(id)) channels.set(id, this.channels.get(id) ?? { id, type: "", name: "", teamId: "" });
    let found = 0;
    for (const channel of channels.values()) {
      try {
        found += await this.catchUpChannel(channel, positions.get(channel.id), newest);
      } catch (error) {
        const status = (error as { status_code?: number }).status_code;
        if (status === 403 || status === 404) {
          store.forgetConversation("mattermost", channel.id);
          log.warn({ channelId: channel.id, status }, "catch-up: a channel the bot can no longer read is forgotten");
        } else log.error({ err: error, channelId: channel.id, why }, "catch-up of a channel failed; it runs again at the next reconnection");
      }
    }
    log.info({ why, channels: channels.size, posts: found }, "Mattermost catch-up done");
  }

  /** Reads one channel's posts since its position (page by page) and answers what was missed. */
  private async catchUpChannel(known: ChannelInfo, position: number | undefined, newest: number): Promise<number> {
    const { store, log } = this.options;
    const channel = known.type ? known : await this.channelInfo(known.id);
    if (!this.isAllowed(channel)) return 0;
    // A channel never seen: from the newest position anywhere (it may have been opened while the bot
    // was away); on a first start ever, from now: history is not answered.
    const start = position ?? (newest || Date.now());
    if (position === undefined) store.advancePosition("mattermost", channel.id, start);
    const since = Math.min(start, store.oldestPending("mattermost", channel.id) ?? start) - CATCH_UP_OVERLAP_MS;
    const sorted = (await readPostsSince(this.client, channel.id, since)).sort((a, b) => a.create_at - b.create_at);
    const parts = postedReplyParts(sorted, this.bot?.id ?? "");
    // Drafts of answers being streamed when the bot stopped: withdrawn (the question is answered anew).
    for (const post of sorted) {
      if (post.user_id === this.bot?.id && post.props?.enso_draft && post.delete_at === 0) this.track(this.withdrawLeftoverDraft(post));
    }
    for (const [question, { posted, total }] of parts) {
      if (posted.size >= total && store.markHandled("mattermost", question)) log.info({ postId: question }, "catch-up: a question answered before a crash is recorded as answered");
    }
    // Names first: the posts are then handled in the order they were written, no lookup overtaking another.
    await Promise.all([...new Set(sorted.map((post) => post.user_id))].map((id) => this.userName(id)));
    let found = 0;
    for (const post of sorted) {
      if (post.create_at < since || store.isHandled("mattermost", post.id)) continue;
      // An edit of a post seen when it was created: edits are not questions.
      if (post.edit_at > 0 && post.create_at <= (position ?? 0) && !store.isPending("mattermost", post.id)) continue;
      found++;
      let resumeFrom = 0;
      while (parts.get(post.id)?.posted.has(resumeFrom)) resumeFrom++;
      this.track(this.consider(post, channel, undefined, resumeFrom));
    }
    return found;
  }

  /**
   * Deletes a draft a crash left behind, unless its question is being answered right now: read
   * again first, since the answer may have replaced it since the catch-up read it.
   */
  private async withdrawLeftoverDraft(draft: Post): Promise<void> {
    const question = String(draft.props?.enso_reply_to ?? "");
    const busy = () => this.inFlight.has(question) || this.unsent.has(question);
    if (busy()) return;
    try {
      const fresh = (await this.client.getPost(draft.id)) as Post;
      if (!fresh.props?.enso_draft || fresh.delete_at > 0 || busy()) return;
      await this.client.deletePost(draft.id);
    } catch (error) {
      this.options.log.warn({ err: error, postId: draft.id }, "a leftover draft could not be withdrawn");
    }
  }

  /** Every channel the bot is in, direct and group messages included, across teams. */
  private async memberChannels(): Promise<Map<string, ChannelInfo>> {
    let all: Channel[];
    try {
      all = (await this.client.getAllTeamsChannels()) as Channel[];
    } catch (error) {
      // Servers without GET /users/me/channels: team by team (direct messages come with each team).
      if ((error as { status_code?: number }).status_code !== 404) throw error;
      all = [];
      for (const team of (await this.client.getMyTeams()) as Team[]) all.push(...((await this.client.getMyChannels(team.id)) as Channel[]));
    }
    const channels = new Map<string, ChannelInfo>();
    for (const channel of all) {
      const info = { id: channel.id, type: channel.type, name: channel.name, teamId: channel.team_id };
      channels.set(channel.id, info);
      this.channels.set(channel.id, info);
    }
    return channels;
  }

  private async channelInfo(id: string): Promise<ChannelInfo> {
    const known = this.channels.get(id);
    if (known) return known;
    const channel = (await this.client.getChannel(id)) as Channel;
    const info = { id: channel.id, type: channel.type, name: channel.name, teamId: channel.team_id };
    this.channels.set(id, info);
    return info;
  }

  private async userName(userId: string): Promise<string> {
    const known = this.userNames.get(userId);
    if (known !== undefined) return known;
    try {
      const user = (await this.client.getUser(userId)) as UserProfile;
      this.userNames.set(userId, user.username);
      return user.username;
    } catch {
      return "";
    }
  }

  private async resolveTeams(): Promise<Set<string> | undefined> {
    const wanted = this.options.config.teams;
    if (wanted.length === 0) return undefined;
    const teams = (await this.client.getMyTeams()) as Team[];
    const ids = new Set(teams.filter((team) => wanted.includes(team.id) || wanted.includes(team.name)).map((team) => team.id));
    const missing = wanted.filter((name) => !teams.some((team) => team.id === name || team.name === name));
    if (missing.length > 0) this.options.log.warn({ missing }, "MATTERMOST_TEAMS names teams the bot is not a member of");
    return ids;
  }

  /** Direct and group messages are always allowed; the allow-lists restrict team channels. */
  private isAllowed(channel: ChannelInfo): boolean {
    if (channel.type === "D" || channel.type === "G" || channel.id === this.options.handoff?.staffChannelId()) return true;
    if (this.allowedTeamIds && !this.allowedTeamIds.has(channel.teamId)) return false;
    const channels = this.options.config.channels;
    return channels.length === 0 || channels.includes(channel.id) || channels.includes(channel.name);
  }

  private async withRetry<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    const retry = this.options.retry ?? { minMs: 3000, maxMs: 300_000, jitterMs: 2000 };
    for (let failures = 1; ; failures++) {
      try {
        return await attempt();
      } catch (error) {
        if (this.stopped) throw error;
        const status = (error as { status_code?: number }).status_code;
        if (status === 401 || status === 403) throw new Error(`Mattermost refused the bot's token (HTTP ${status}): check MATTERMOST_TOKEN`, { cause: error });
        const delay = Math.min(retry.maxMs, retry.minMs * 2 ** (failures - 1));
        this.options.log.warn({ err: error, failures, retryInMs: delay }, `could not ${what}; retrying`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

function safeJsonArray(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
  } catch {
    return [];
  }
}
