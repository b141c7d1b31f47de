import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { Post } from "@mattermost/types/posts";
import type { Channel } from "@mattermost/types/channels";
import type { Logger } from "pino";
import type { Assistant } from "./assistant.js";
import { MattermostChannel } from "./bot/channels/mattermost/mattermost-channel.js";
import { MattermostChatSink, MattermostStaffRoom, renderTicketCard } from "./bot/channels/mattermost/mattermost-staff-room.js";
import { ACTION_PATH, registerMattermostRoutes, type StaffActions } from "./bot/channels/mattermost/register-mattermost-routes.js";
import { ConversationEngine } from "./bot/conversation-engine.js";
import { RateLimiter } from "./bot/rate-limiter.js";
import type { Config, MattermostConfig } from "./config.js";
import { EnsoError } from "./errors.js";
import { createSinks } from "./handoff/create-sinks.js";
import { HandoffDesk } from "./handoff/handoff-desk.js";
import { defaultOutboxSettings, Outbox, type OutboxSettings } from "./handoff/outbox.js";
import type { TicketSink } from "./handoff/ticket-sink.js";
import { HttpServer } from "./http/http-server.js";
import { SqliteStore } from "./store/sqlite-store.js";
import type { Store } from "./store/store.js";

export interface RunningServices {
  readonly http: HttpServer;
  readonly port: number;
  readonly store: Store;
  readonly engine: ConversationEngine;
  readonly mattermost: MattermostChannel;
  readonly desk: HandoffDesk;
  readonly outbox: Outbox;
  stop(): Promise<void>;
}

export interface ServiceOverrides {
  readonly store?: Store;
  readonly retry?: { minMs: number; maxMs: number; jitterMs: number };
  /** Extra or replacement ticket sinks (tests: a sink that fails on purpose). */
  readonly sinks?: readonly TicketSink[];
  readonly outbox?: Partial<OutboxSettings>;
  /** How often overdue claims are looked for (30 s by default). */
  readonly sweepMs?: number;
}

/**
 * Starts the assistant on its channels: the durable store, the HTTP server (health, button
 * callbacks, slash command), Mattermost, and the handoff desk with its outbox (staff channel,
 * helpdesks, mail). `overrides` lets tests and the benchmark pass a store, sinks or faster delays;
 * production uses the configuration alone.
 */
export async function startServices(config: Config & { mattermost: MattermostConfig }, assistant: Assistant, log: Logger, overrides: ServiceOverrides = {}): Promise<RunningServices> {
  const store = overrides.store ?? new SqliteStore(join(config.dataDir, "enso.sqlite"));
  const contact = { email: config.contactEmail, requestFormUrl: config.requestFormUrl };
  const outbox = new Outbox(store.tickets, overrides.sinks ?? createSinks(config.handoff), log, { ...defaultOutboxSettings, maxAttempts: config.handoff.outbox.maxAttempts, baseDelayMs: config.handoff.outbox.baseDelayMs, ...overrides.outbox });
  const desk = new HandoffDesk(store.tickets, outbox, log, { site: config.handoff.site, claimTimeoutMs: config.handoff.claimTimeoutMs, contact, ...(config.handoff.staffHours ? { staffHours: config.handoff.staffHours } : {}) });
  outbox.setFailureHandler((item, error) => desk.reportFailure(item, error));
  const engine = new ConversationEngine(assistant, log, { contact, rateLimiter: new RateLimiter(config.rateLimit), desk });
  // A generated secret is kept in the store: buttons of earlier answers keep working after a restart.
  const actionSecret = config.mattermost.actionSecret ?? store.setting("mattermost_action_secret", () => randomBytes(24).toString("base64url"));
  const startedAt = new Date();
  let mattermost: MattermostChannel | undefined;
  const http = new HttpServer(log, () => ({
    mattermost: mattermost?.status ?? { connected: false },
    index: { passages: assistant.index.manifest.chunks, builtAt: assistant.index.manifest.builtAt },
    outbox: store.tickets.outboxCounts(),
    startedAt: startedAt.toISOString(),
  }));
  const address = await http.listen(config.http.port, config.http.host);
  const publicUrl = config.http.publicUrl ?? `http://localhost:${address.port}`;
  const actionUrl = `${publicUrl}${ACTION_PATH}`;
  let staffChannelId: string | undefined;
  const staffThreads = new Map<string, Promise<unknown>>();
  const channel = new MattermostChannel({
    config: config.mattermost,
    store,
    log,
    actionUrl,
    actionSecret,
    ...(overrides.retry ? { retry: overrides.retry } : {}),
    handoff: {
      staffChannelId: () => staffChannelId,
      isHeld: (conversation, userId) => {
        const hold = desk.hold(conversation);
        return hold.state !== "bot" && hold.ticketRef !== undefined && desk.ticket(hold.ticketRef)?.user.id === userId;
      },
      // One thread's replies are relayed one after another, in the order they were posted.
      onStaffPost: (post: Post, userName: () => Promise<string>) => {
        const previous = staffThreads.get(post.root_id) ?? Promise.resolve();
        const next = previous.then(async () => {
          const ticket = desk.byCard(post.root_id);
          if (!ticket) return;
          const profile = await channel.userProfile(post.user_id).catch(() => ({}) as { name?: string });
          const result = desk.staffReply(ticket.ref, { id: post.user_id, name: profile.name ?? (await userName()) }, post.message, post.id);
          if (!result.ok) await channel.rest.createPost({ channel_id: post.channel_id, root_id: post.root_id, message: result.message } as Partial<Post> as Post);
        });
        const settled = next.catch(() => undefined);
        staffThreads.set(post.root_id, settled);
        void settled.then(() => {
          if (staffThreads.get(post.root_id) === settled) staffThreads.delete(post.root_id);
        });
        return next;
      },
    },
  });
  mattermost = channel;
  const wiring = { client: channel.rest, tickets: store.tickets, actionUrl, secret: actionSecret, maxPostChars: config.mattermost.maxPostChars };
  outbox.addSink(new MattermostChatSink(wiring));

  let staff: StaffActions | undefined;
  if (config.mattermost.staffChannel) {
    staffChannelId = await resolveStaffChannel(channel, config.mattermost.staffChannel).catch(async (error: unknown) => {
      await http.close();
      throw error;
    });
    // The outbox may retry a card before the channel has connected: the bot's id is then asked for.
    let botId: string | undefined;
    outbox.addSink(new MattermostStaffRoom(wiring, staffChannelId, async () => (botId ??= channel.botUserId ?? ((await channel.rest.getMe()) as { id: string }).id)));
    staff = {
      channelId: staffChannelId,
      act: (action, ref, member) => (action === "claim" ? desk.claim(ref, member) : action === "release" ? desk.release(ref, member) : desk.resolve(ref, member)),
      card: (ref) => {
        const ticket = desk.ticket(ref);
        return ticket ? renderTicketCard(ticket, desk.hold(ticket.conversation), wiring) : undefined;
      },
    };
  } else log.warn("MATTERMOST_STAFF_CHANNEL is not set: tickets go to the configured ticket systems only, and nobody can take a conversation over in chat");

  registerMattermostRoutes(http, {
    channel,
    store,
    log,
    contact,
    actionSecret,
    ...(config.mattermost.commandToken ? { commandToken: config.mattermost.commandToken } : {}),
    handle: (message) => engine.handle(message),
    ...(staff ? { staff } : {}),
    openTicket: async ({ userId, channelId, answerPostId, questionPostId, lang }) => {
      const [answerPost, questionPost] = await Promise.all([channel.rest.getPost(answerPostId) as Promise<Post>, questionPostId ? (channel.rest.getPost(questionPostId) as Promise<Post>).catch(() => undefined) : undefined]);
      // In a channel, only the person who asked may hand their question to staff.
      if (questionPost && questionPost.user_id !== userId) return { text: lang === "en" ? "Only the person who asked this question can hand it to the ENSO team." : "Seule la personne qui a posé cette question peut la confier à l'équipe ENSO.", refused: true as const };
      const text = await engine.escalateOnRequest({
        platform: "mattermost",
        conversationId: channelId || answerPost.channel_id,
        ...(answerPost.root_id ? { threadId: answerPost.root_id } : {}),
        messageId: `human-button:${answerPostId}`,
        userId,
        userName: await channel.userNameOf(userId),
        text: questionPost?.message ?? "",
        isDirect: await channel.isDirectChannel(channelId || answerPost.channel_id).catch(() => false),
        mentionsBot: true,
        receivedAt: new Date(),
        userProfile: () => channel.userProfile(userId),
      }, lang, answerPost.message);
      return text === undefined ? undefined : { text };
    },
    status: () => {
      const status = channel.status;
      const counts = store.tickets.outboxCounts();
      return `ENSO assistant: ${status.connected ? "connected" : "not connected"} to Mattermost; ${status.answered} question(s) answered since ${startedAt.toISOString()}; corpus index of ${assistant.index.manifest.chunks} passages built ${assistant.index.manifest.builtAt}; ticket deliveries waiting: ${counts.pending}, failed: ${counts.failed}.`;
    },
  });
  outbox.start();
  const sweeper = setInterval(() => {
    try {
      desk.sweep();
    } catch (error) {
      log.error({ err: error }, "the claim-timeout sweep failed");
    }
  }, overrides.sweepMs ?? 30_000);
  sweeper.unref();
  try {
    await channel.start((message, onProgress) => engine.handle(message, onProgress));
  } catch (error) {
    clearInterval(sweeper);
    await outbox.stop();
    await http.close();
    throw error;
  }
  return {
    http,
    port: address.port,
    store,
    engine,
    mattermost: channel,
    desk,
    outbox,
    async stop() {
      clearInterval(sweeper);
      await channel.stop();
      await outbox.stop();
      await http.close();
      store.close();
    },
  };
}

/** The staff channel's id, from an id or "team/channel" names; a wrong name stops the start with a fix. */
async function resolveStaffChannel(channel: MattermostChannel, wanted: string): Promise<string> {
  try {
    const [team, name] = wanted.split("/");
    const found = (name ? await channel.rest.getChannelByNameAndTeamName(team ?? "", name) : await channel.rest.getChannel(wanted)) as Channel;
    return found.id;
  } catch (error) {
    throw new EnsoError("config", `MATTERMOST_STAFF_CHANNEL=${wanted}: the bot cannot see this channel (${(error as Error).message}).`, "Add the bot account to the staff channel, and give its id or team-name/channel-name.");
  }
}
