import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { Post } from "@mattermost/types/posts";
import type { Channel } from "@mattermost/types/channels";
import type { Logger } from "pino";
import type { Assistant } from "./assistant.js";
import { MattermostChannel } from "./bot/channels/mattermost/mattermost-channel.js";
import { MattermostChatSink, MattermostStaffRoom, renderTicketCard, type StaffAction } from "./bot/channels/mattermost/mattermost-staff-room.js";
import { TeamsChannel } from "./bot/channels/teams/teams-channel.js";
import { TeamsChatSink, TeamsStaffRoom } from "./bot/channels/teams/teams-staff-room.js";
import { ACTION_PATH, registerMattermostRoutes, type StaffActions } from "./bot/channels/mattermost/register-mattermost-routes.js";
import { ConversationEngine } from "./bot/conversation-engine.js";
import { RateLimiter } from "./bot/rate-limiter.js";
import type { Config, MattermostConfig, TeamsConfig } from "./config.js";
import { EnsoError } from "./errors.js";
import { createSinks } from "./handoff/create-sinks.js";
import { HandoffDesk, staffSink, type StaffMember } from "./handoff/handoff-desk.js";
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
  /** Present when Mattermost is configured. */
  readonly mattermost?: MattermostChannel;
  /** Present when Teams is configured. */
  readonly teams?: TeamsChannel;
  readonly desk: HandoffDesk;
  readonly outbox: Outbox;
  /** Resolves when every channel has finished the messages under way (tests, benchmarks). */
  idle(): Promise<void>;
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

/** What every channel's wiring shares. */
interface Wiring {
  readonly config: Config;
  readonly assistant: Assistant;
  readonly log: Logger;
  readonly overrides: ServiceOverrides;
  readonly store: Store;
  readonly contact: { email: string; requestFormUrl: string };
  readonly outbox: Outbox;
  readonly desk: HandoffDesk;
  readonly engine: ConversationEngine;
  readonly http: HttpServer;
  readonly publicUrl: string;
  readonly startedAt: Date;
}

/**
 * Runs one thread's staff replies one after another, in the order they were posted, whatever the
 * platform: `key` names the thread.
 */
function serializer() {
  const chains = new Map<string, Promise<unknown>>();
  return <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const next = (chains.get(key) ?? Promise.resolve()).then(task);
    const settled = next.catch(() => undefined);
    chains.set(key, settled);
    void settled.then(() => {
      if (chains.get(key) === settled) chains.delete(key);
    });
    return next;
  };
}

/** A staff action from any platform's staff channel. */
function staffAct(desk: HandoffDesk, action: StaffAction, ref: string, member: StaffMember) {
  return action === "claim" ? desk.claim(ref, member) : action === "release" ? desk.release(ref, member) : desk.resolve(ref, member);
}

/**
 * Starts the assistant on its channels: the durable store, the HTTP server (health, Mattermost's
 * button callbacks and slash command, Teams' /api/messages), Mattermost and Teams as configured, and
 * the handoff desk with its outbox (staff channels, helpdesks, mail). `overrides` lets tests and the
 * benchmark pass a store, sinks or faster delays; production uses the configuration alone.
 */
export async function startServices(config: Config, assistant: Assistant, log: Logger, overrides: ServiceOverrides = {}): Promise<RunningServices> {
  if (!config.mattermost && !config.teams) throw new EnsoError("config", "No chat platform is configured.", "Set MATTERMOST_URL and MATTERMOST_TOKEN, or TEAMS_APP_ID (TEAMS_ENABLED=true on a developer's machine), or use `enso chat`.");
  const store = overrides.store ?? new SqliteStore(join(config.dataDir, "enso.sqlite"));
  const contact = { email: config.contactEmail, requestFormUrl: config.requestFormUrl };
  const outbox = new Outbox(store.tickets, overrides.sinks ?? createSinks(config.handoff), log, { ...defaultOutboxSettings, maxAttempts: config.handoff.outbox.maxAttempts, baseDelayMs: config.handoff.outbox.baseDelayMs, ...overrides.outbox });
  const desk = new HandoffDesk(store.tickets, outbox, log, { site: config.handoff.site, claimTimeoutMs: config.handoff.claimTimeoutMs, contact, ...(config.handoff.staffHours ? { staffHours: config.handoff.staffHours } : {}) });
  outbox.setFailureHandler((item, error) => desk.reportFailure(item, error));
  const engine = new ConversationEngine(assistant, log, { contact, rateLimiter: new RateLimiter(config.rateLimit), desk });
  const startedAt = new Date();
  let mattermost: MattermostChannel | undefined;
  let teams: TeamsChannel | undefined;
  const http = new HttpServer(log, () => ({
    ...(config.mattermost ? { mattermost: mattermost?.status ?? { connected: false } } : {}),
    ...(teams ? { teams: teams.status } : {}),
    index: { passages: assistant.index.manifest.chunks, builtAt: assistant.index.manifest.builtAt },
    outbox: store.tickets.outboxCounts(),
    startedAt: startedAt.toISOString(),
  }));
  const address = await http.listen(config.http.port, config.http.host);
  const wiring: Wiring = { config, assistant, log, overrides, store, contact, outbox, desk, engine, http, publicUrl: config.http.publicUrl ?? `http://localhost:${address.port}`, startedAt };
  const sweeper = setInterval(() => {
    try {
      desk.sweep();
    } catch (error) {
      log.error({ err: error }, "the claim-timeout sweep failed");
    }
  }, overrides.sweepMs ?? 30_000);
  sweeper.unref();
  try {
    if (config.teams) teams = wireTeams(wiring, config.teams);
    if (config.mattermost) mattermost = await wireMattermost(wiring, config.mattermost);
    outbox.start();
    await teams?.start((message, onProgress) => engine.handle(message, onProgress));
    await mattermost?.start((message, onProgress) => engine.handle(message, onProgress));
  } catch (error) {
    clearInterval(sweeper);
    await teams?.stop();
    await outbox.stop();
    await http.close();
    if (!overrides.store) store.close();
    throw error;
  }
  return {
    http,
    port: address.port,
    store,
    engine,
    ...(mattermost ? { mattermost } : {}),
    ...(teams ? { teams } : {}),
    desk,
    outbox,
    async idle() {
      await Promise.all([mattermost?.idle(), teams?.idle()]);
    },
    async stop() {
      clearInterval(sweeper);
      await mattermost?.stop();
      await teams?.stop();
      await outbox.stop();
      await http.close();
      store.close();
    },
  };
}

/** Teams: its endpoint, its chat sink and, when configured, its staff channel. */
function wireTeams(wiring: Wiring, config: TeamsConfig): TeamsChannel {
  const { desk, engine, store, log, http, contact, outbox } = wiring;
  const inThread = serializer();
  const teams = new TeamsChannel({
    config,
    store,
    log,
    http,
    contact,
    handoff: {
      isHeld: (conversation, userId) => {
        const hold = desk.hold(conversation);
        return hold.state !== "bot" && hold.ticketRef !== undefined && desk.ticket(hold.ticketRef)?.user.id === userId;
      },
      onStaffMessage: (cardId, member, text, messageId) =>
        inThread(`teams:${cardId}`, async () => {
          const ticket = desk.byStaffCard(staffSink("teams"), cardId);
          if (!ticket) return undefined;
          const result = desk.staffReply(ticket.ref, member, text, messageId);
          return result.ok ? undefined : result.message;
        }),
      act: (action, ref, member) => staffAct(desk, action, ref, member),
      escalate: (message, lang, answerText) => engine.escalateOnRequest(message, lang, answerText),
    },
  });
  outbox.addSink(new TeamsChatSink(teams));
  if (config.staffChannel) outbox.addSink(new TeamsStaffRoom(teams, store.tickets, config.staffChannel));
  else log.warn("TEAMS_STAFF_CHANNEL is not set: no ticket card goes to a Teams channel");
  return teams;
}

/** Mattermost: the WebSocket channel, button callbacks, slash command, chat sink and staff channel. */
async function wireMattermost(wiring: Wiring, config: MattermostConfig): Promise<MattermostChannel> {
  const { desk, engine, store, log, http, contact, outbox, assistant, overrides, startedAt } = wiring;
  // A generated secret is kept in the store: buttons of earlier answers keep working after a restart.
  const actionSecret = config.actionSecret ?? store.setting("mattermost_action_secret", () => randomBytes(24).toString("base64url"));
  const actionUrl = `${wiring.publicUrl}${ACTION_PATH}`;
  let staffChannelId: string | undefined;
  const inThread = serializer();
  const channel = new MattermostChannel({
    config,
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
      onStaffPost: (post: Post, userName: () => Promise<string>) =>
        inThread(`mattermost:${post.root_id}`, async () => {
          const ticket = desk.byCard(post.root_id);
          if (!ticket) return;
          const profile = await channel.userProfile(post.user_id).catch(() => ({}) as { name?: string });
          const result = desk.staffReply(ticket.ref, { id: post.user_id, name: profile.name ?? (await userName()) }, post.message, post.id);
          if (!result.ok) await channel.rest.createPost({ channel_id: post.channel_id, root_id: post.root_id, message: result.message } as Partial<Post> as Post);
        }),
    },
  });
  const sinkWiring = { client: channel.rest, tickets: store.tickets, actionUrl, secret: actionSecret, maxPostChars: config.maxPostChars };
  outbox.addSink(new MattermostChatSink(sinkWiring));

  let staff: StaffActions | undefined;
  if (config.staffChannel) {
    staffChannelId = await resolveStaffChannel(channel, config.staffChannel);
    // The outbox may retry a card before the channel has connected: the bot's id is then asked for.
    let botId: string | undefined;
    outbox.addSink(new MattermostStaffRoom(sinkWiring, staffChannelId, async () => (botId ??= channel.botUserId ?? ((await channel.rest.getMe()) as { id: string }).id)));
    staff = {
      channelId: staffChannelId,
      act: (action, ref, member) => staffAct(desk, action, ref, member),
      card: (ref) => {
        const ticket = desk.ticket(ref);
        return ticket ? renderTicketCard(ticket, desk.hold(ticket.conversation), sinkWiring) : undefined;
      },
    };
  } else log.warn("MATTERMOST_STAFF_CHANNEL is not set: no ticket card goes to a Mattermost channel");

  registerMattermostRoutes(http, {
    channel,
    store,
    log,
    contact,
    actionSecret,
    ...(config.commandToken ? { commandToken: config.commandToken } : {}),
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
  return channel;
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
