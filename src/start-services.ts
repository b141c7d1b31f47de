import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Assistant } from "./assistant.js";
import { MattermostChannel } from "./bot/channels/mattermost/mattermost-channel.js";
import { ACTION_PATH, registerMattermostRoutes } from "./bot/channels/mattermost/register-mattermost-routes.js";
import { ConversationEngine } from "./bot/conversation-engine.js";
import { RateLimiter } from "./bot/rate-limiter.js";
import type { Config, MattermostConfig } from "./config.js";
import { HttpServer } from "./http/http-server.js";
import { SqliteStore } from "./store/sqlite-store.js";
import type { Store } from "./store/store.js";

export interface RunningServices {
  readonly http: HttpServer;
  readonly port: number;
  readonly store: Store;
  readonly engine: ConversationEngine;
  readonly mattermost: MattermostChannel;
  stop(): Promise<void>;
}

/**
 * Starts the assistant on its channels: the durable store, the HTTP server (health, button
 * callbacks, slash command) and Mattermost. `overrides` lets tests and the benchmark pass a store
 * or faster reconnection delays; production uses the configuration alone.
 */
export async function startServices(
  config: Config & { mattermost: MattermostConfig },
  assistant: Assistant,
  log: Logger,
  overrides: { store?: Store; retry?: { minMs: number; maxMs: number; jitterMs: number } } = {},
): Promise<RunningServices> {
  const store = overrides.store ?? new SqliteStore(join(config.dataDir, "enso.sqlite"));
  const contact = { email: config.contactEmail, requestFormUrl: config.requestFormUrl };
  const engine = new ConversationEngine(assistant, log, { contact, rateLimiter: new RateLimiter(config.rateLimit) });
  // A generated secret is kept in the store: buttons of earlier answers keep working after a restart.
  const actionSecret = config.mattermost.actionSecret ?? store.setting("mattermost_action_secret", () => randomBytes(24).toString("base64url"));
  const startedAt = new Date();
  let mattermost: MattermostChannel | undefined;
  const http = new HttpServer(log, () => ({ mattermost: mattermost?.status ?? { connected: false }, index: { passages: assistant.index.manifest.chunks, builtAt: assistant.index.manifest.builtAt }, startedAt: startedAt.toISOString() }));
  const address = await http.listen(config.http.port, config.http.host);
  const publicUrl = config.http.publicUrl ?? `http://localhost:${address.port}`;
  const channel = new MattermostChannel({ config: config.mattermost, store, log, actionUrl: `${publicUrl}${ACTION_PATH}`, actionSecret, ...(overrides.retry ? { retry: overrides.retry } : {}) });
  mattermost = channel;
  registerMattermostRoutes(http, {
    channel,
    store,
    log,
    contact,
    actionSecret,
    ...(config.mattermost.commandToken ? { commandToken: config.mattermost.commandToken } : {}),
    handle: (message) => engine.handle(message),
    status: () => {
      const status = channel.status;
      return `ENSO assistant: ${status.connected ? "connected" : "not connected"} to Mattermost; ${status.answered} question(s) answered since ${startedAt.toISOString()}; corpus index of ${assistant.index.manifest.chunks} passages built ${assistant.index.manifest.builtAt}.`;
    },
  });
  try {
    await channel.start((message) => engine.handle(message));
  } catch (error) {
    await http.close();
    throw error;
  }
  return {
    http,
    port: address.port,
    store,
    engine,
    mattermost: channel,
    async stop() {
      await channel.stop();
      await http.close();
      store.close();
    },
  };
}
