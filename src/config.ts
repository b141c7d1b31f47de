import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { EnsoError } from "./errors.js";
import { parseStaffHours, type StaffHours } from "./handoff/staff-hours.js";

/** The folder of the installed package (two levels above dist/src/config.js or one above src/config.ts). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(resolve(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

const number = (fallback: number, min: number, max: number) =>
  z.coerce.number().min(min).max(max).default(fallback);

const schema = z.object({
  ENSO_DATA_DIR: z.string().min(1).default("./data"),
  ENSO_CORPUS_DIR: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  LOG_FORMAT: z.enum(["auto", "json", "pretty"]).default("auto"),
  ENSO_CONTACT_EMAIL: z.email().default("enso@univ-paris1.fr"),
  ENSO_REQUEST_FORM_URL: z.url().default("https://recherche.pantheonsorbonne.fr"),
  ENSO_ANSWER_THRESHOLD: number(0.35, 0, 1),
  ENSO_MAX_QUESTION_CHARS: number(2000, 50, 100_000),
  ENSO_SEARCH_K: number(8, 1, 50),
  ENSO_HNSW_EF: number(200, 10, 2000),
  ENSO_HTTP_HOST: z.string().min(1).default("0.0.0.0"),
  ENSO_HTTP_PORT: number(3978, 0, 65535),
  ENSO_PUBLIC_URL: z.url().optional(),
  ENSO_RATE_LIMIT_PER_MINUTE: number(10, 1, 10_000),
  ENSO_RATE_LIMIT_BURST: number(5, 1, 10_000),
  MATTERMOST_URL: z.url().optional(),
  MATTERMOST_TOKEN: z.string().min(10).optional(),
  MATTERMOST_TEAMS: z.string().optional(),
  MATTERMOST_CHANNELS: z.string().optional(),
  MATTERMOST_COMMAND_TOKEN: z.string().min(10).optional(),
  MATTERMOST_ACTION_SECRET: z.string().min(16).optional(),
  MATTERMOST_MAX_POST_CHARS: number(16383, 500, 65535),
  MATTERMOST_STAFF_CHANNEL: z.string().regex(/^([a-z0-9]{26}|[^/\s]+\/[^/\s]+)$/).optional(),
  TEAMS_ENABLED: z.enum(["true", "false"]).optional(),
  TEAMS_APP_ID: z.uuid().optional(),
  TEAMS_APP_PASSWORD: z.string().min(8).optional(),
  TEAMS_TENANT_ID: z.uuid().optional(),
  TEAMS_STAFF_CHANNEL: z.string().regex(/^19:\S+@thread\.(tacv2|skype)$/).optional(),
  TEAMS_SERVICE_URL: z.url().default("https://smba.trafficmanager.net/teams/"),
  NODE_ENV: z.string().optional(),
  ENSO_SITE: z.string().min(1).max(100).default("univ-paris1"),
  ENSO_CLAIM_TIMEOUT_MINUTES: number(15, 1, 10_080),
  ENSO_STAFF_HOURS: z.string().optional(),
  ENSO_TIMEZONE: z.string().min(1).default("Europe/Paris"),
  ENSO_OUTBOX_MAX_ATTEMPTS: number(16, 1, 1000),
  ENSO_OUTBOX_RETRY_SECONDS: number(5, 0.01, 3600),
  SMTP_URL: z.string().regex(/^smtps?:\/\/\S+$/).optional(),
  ENSO_TICKET_EMAIL_FROM: z.string().min(3).optional(),
  ENSO_TICKET_EMAIL_TO: z.email().optional(),
  RT_URL: z.url().optional(),
  RT_TOKEN: z.string().min(8).optional(),
  RT_QUEUE: z.string().min(1).default("General"),
  GLPI_URL: z.url().optional(),
  GLPI_APP_TOKEN: z.string().min(8).optional(),
  GLPI_USER_TOKEN: z.string().min(8).optional(),
  ENSO_WEBHOOK_URL: z.url().optional(),
  ENSO_WEBHOOK_SECRET: z.string().min(16).optional(),
  LLM_PROVIDER: z.enum(["none", "openai-compatible", "ollama", "anthropic", "mistral", "azure-openai"]).default("none"),
  LLM_MODEL: z.string().min(1).optional(),
  LLM_BASE_URL: z.url().optional(),
  LLM_API_KEY: z.string().min(1).optional(),
  LLM_API_VERSION: z.string().min(1).default("2024-10-21"),
  LLM_TIMEOUT_SECONDS: number(30, 1, 600),
  LLM_TEMPERATURE: number(0.1, 0, 2),
  LLM_MAX_TOKENS: number(800, 50, 32_000),
  LLM_MIN_CONFIDENCE: number(0.1, 0, 1),
  EMBEDDINGS_PROVIDER: z.enum(["builtin", "openai-compatible", "ollama"]).default("builtin"),
  EMBEDDINGS_MODEL: z.string().min(1).optional(),
  EMBEDDINGS_BASE_URL: z.url().optional(),
  EMBEDDINGS_API_KEY: z.string().min(1).optional(),
});

const fixes: Record<string, string> = {
  ENSO_DATA_DIR: "a folder the assistant may write to, e.g. ./data",
  ENSO_CORPUS_DIR: "the folder of the corpus Markdown files, e.g. ./corpus",
  LOG_LEVEL: "one of fatal, error, warn, info, debug, trace, silent",
  LOG_FORMAT: "auto (pretty in a terminal, JSON otherwise), json or pretty",
  ENSO_CONTACT_EMAIL: "the address researchers write to, e.g. enso@univ-paris1.fr",
  ENSO_REQUEST_FORM_URL: "the full URL of the request form, starting with https://",
  ENSO_ANSWER_THRESHOLD: "a number between 0 and 1 (the confidence below which the assistant escalates)",
  ENSO_MAX_QUESTION_CHARS: "a whole number of characters between 50 and 100000",
  ENSO_SEARCH_K: "a whole number of passages between 1 and 50",
  ENSO_HNSW_EF: "a whole number between 10 and 2000 (higher: better vector recall, slower)",
  ENSO_HTTP_HOST: "the address the HTTP server listens on, e.g. 0.0.0.0 or 127.0.0.1",
  ENSO_HTTP_PORT: "a TCP port number, e.g. 3978",
  ENSO_PUBLIC_URL: "the URL at which Mattermost reaches this server, e.g. https://enso-bot.univ-paris1.fr",
  ENSO_RATE_LIMIT_PER_MINUTE: "how many questions a user may ask a minute, e.g. 10",
  ENSO_RATE_LIMIT_BURST: "how many questions a user may ask in a row before the per-minute limit applies, e.g. 5",
  MATTERMOST_URL: "the Mattermost server's address, e.g. https://mattermost.univ-paris1.fr",
  MATTERMOST_TOKEN: "the bot account's access token (System Console > Integrations > Bot Accounts)",
  MATTERMOST_TEAMS: "team names or ids separated by commas, or nothing for every team",
  MATTERMOST_CHANNELS: "channel names or ids separated by commas, or nothing for every channel",
  MATTERMOST_COMMAND_TOKEN: "the token Mattermost shows for the /enso slash command",
  MATTERMOST_ACTION_SECRET: "a random string of at least 16 characters, or nothing to let the assistant make one",
  MATTERMOST_MAX_POST_CHARS: "the server's maximum post size in characters (16383 by default)",
  MATTERMOST_STAFF_CHANNEL: "the staff channel's id (26 characters) or team-name/channel-name, e.g. paris1/enso-equipe",
  TEAMS_ENABLED: "true to serve Microsoft Teams on POST /api/messages (implied by TEAMS_APP_ID), or false",
  TEAMS_APP_ID: "the Microsoft App ID of the Azure Bot (a GUID, Azure portal > the bot > Configuration)",
  TEAMS_APP_PASSWORD: "a client secret of that app registration (Certificates & secrets)",
  TEAMS_TENANT_ID: "the university's Microsoft Entra tenant id (a GUID), for a single-tenant bot",
  TEAMS_STAFF_CHANNEL: "the staff channel's id, 19:...@thread.tacv2 (Teams: the channel's ... menu > Copy link; the part between /channel/ and the next /, URL-decoded)",
  TEAMS_SERVICE_URL: "the Bot Connector address for messages the bot starts, e.g. https://smba.trafficmanager.net/emea/ (learned from Teams once the bot is installed)",
  ENSO_SITE: "a short name for this deployment, shown on tickets, e.g. univ-paris1",
  ENSO_CLAIM_TIMEOUT_MINUTES: "how many minutes a ticket waits for a claim in chat before the user is told to expect an email, e.g. 15",
  ENSO_STAFF_HOURS: "when staff watch the chat, e.g. mon-fri 09:00-12:30; mon-fri 14:00-17:30",
  ENSO_TIMEZONE: "an IANA time zone for ENSO_STAFF_HOURS, e.g. Europe/Paris",
  ENSO_OUTBOX_MAX_ATTEMPTS: "how many times a ticket delivery is tried before staff are told it failed, e.g. 16",
  ENSO_OUTBOX_RETRY_SECONDS: "the first retry delay in seconds (it doubles at each failure, up to an hour), e.g. 5",
  SMTP_URL: "the SMTP server as a URL, e.g. smtp://user:password@smtp.univ-paris1.fr:587 (smtps:// for port 465)",
  ENSO_TICKET_EMAIL_FROM: "the bot's mailbox, e.g. \"Assistant ENSO <enso-bot@univ-paris1.fr>\"",
  ENSO_TICKET_EMAIL_TO: "the address that receives tickets, e.g. enso@univ-paris1.fr (default: ENSO_CONTACT_EMAIL)",
  RT_URL: "Request Tracker's address, e.g. https://rt.univ-paris1.fr",
  RT_TOKEN: "an RT auth token of the bot's RT user (RT > Settings > Auth Tokens)",
  RT_QUEUE: "the RT queue that receives tickets, e.g. General",
  GLPI_URL: "GLPI's API address ending in apirest.php, e.g. https://glpi.univ-paris1.fr/apirest.php",
  GLPI_APP_TOKEN: "the App-Token of the GLPI API client (Setup > General > API)",
  GLPI_USER_TOKEN: "the bot user's GLPI API token (its preferences, Remote access keys)",
  ENSO_WEBHOOK_URL: "the URL that receives ticket events as signed JSON",
  ENSO_WEBHOOK_SECRET: "a random string of at least 16 characters, shared with the webhook's receiver",
  LLM_PROVIDER: "none (the offline extractive answerer), openai-compatible, ollama, anthropic, mistral or azure-openai",
  LLM_MODEL: "the model's name at the provider, e.g. mistral-small-3.2-24b-instruct or gpt-4o-mini (for azure-openai: the deployment name)",
  LLM_BASE_URL: "the provider's address, e.g. http://gpu1.intranet:8000/v1 (vLLM), http://localhost:11434 (Ollama), https://albert.api.etalab.gouv.fr/v1, https://RESOURCE.openai.azure.com",
  LLM_API_KEY: "the provider's API key (not needed for Ollama or an unauthenticated local server)",
  LLM_API_VERSION: "the Azure OpenAI API version, e.g. 2024-10-21",
  LLM_TIMEOUT_SECONDS: "seconds before a model call is abandoned, e.g. 30",
  LLM_TEMPERATURE: "a number from 0 to 2; low values keep answers close to the sources, e.g. 0.1",
  LLM_MAX_TOKENS: "the longest answer in tokens, e.g. 800",
  LLM_MIN_CONFIDENCE: "retrieval confidence (0 to 1) below which the model is not asked and the assistant escalates, e.g. 0.1",
  EMBEDDINGS_PROVIDER: "builtin (no model), openai-compatible or ollama",
  EMBEDDINGS_MODEL: "the embedding model's name, e.g. bge-m3 or nomic-embed-text",
  EMBEDDINGS_BASE_URL: "the embedding server's address, e.g. http://localhost:11434 (Ollama) or http://gpu1.intranet:8000/v1",
  EMBEDDINGS_API_KEY: "the embedding provider's API key, if it needs one",
};

export interface Config {
  readonly dataDir: string;
  readonly corpusDir: string;
  readonly logLevel: z.infer<typeof schema>["LOG_LEVEL"];
  readonly logFormat: z.infer<typeof schema>["LOG_FORMAT"];
  readonly contactEmail: string;
  readonly requestFormUrl: string;
  readonly answerThreshold: number;
  readonly maxQuestionChars: number;
  readonly searchK: number;
  readonly hnswEf: number;
  /** publicUrl: how Mattermost reaches this server; absent: http://localhost and the port listened on. */
  readonly http: { readonly host: string; readonly port: number; readonly publicUrl?: string };
  readonly rateLimit: { readonly perMinute: number; readonly burst: number };
  /** Absent when Mattermost is not configured. */
  readonly mattermost?: MattermostConfig;
  /** Absent when Teams is not configured; with neither, `start` opens the terminal chat. */
  readonly teams?: TeamsConfig;
  readonly handoff: HandoffConfig;
  /** The model behind answers; absent: the offline extractive answerer. */
  readonly llm?: LlmConfig;
  /** The embedding model; absent: the built-in embedder. */
  readonly embeddings?: EmbeddingsConfig;
}

export interface LlmConfig {
  readonly provider: "openai-compatible" | "ollama" | "anthropic" | "mistral" | "azure-openai";
  readonly model: string;
  readonly baseUrl?: string;
  readonly apiKey?: string;
  readonly apiVersion: string;
  readonly timeoutMs: number;
  readonly temperature: number;
  readonly maxTokens: number;
  /** Below this retrieval confidence the model is not asked: the assistant escalates. */
  readonly minConfidence: number;
}

export interface EmbeddingsConfig {
  readonly provider: "openai-compatible" | "ollama";
  readonly model: string;
  readonly baseUrl?: string;
  readonly apiKey?: string;
}

/** Tickets: where they go and how long they wait for a person in chat. */
export interface HandoffConfig {
  readonly site: string;
  readonly claimTimeoutMs: number;
  readonly staffHours?: StaffHours;
  readonly outbox: { readonly maxAttempts: number; readonly baseDelayMs: number };
  readonly email?: { readonly smtpUrl: string; readonly from: string; readonly to: string };
  readonly rt?: { readonly url: string; readonly token: string; readonly queue: string };
  readonly glpi?: { readonly url: string; readonly appToken: string; readonly userToken: string };
  readonly webhook?: { readonly url: string; readonly secret: string };
}

export interface MattermostConfig {
  readonly url: string;
  readonly token: string;
  /** Allow-lists (names or ids); empty: everywhere the bot is a member. */
  readonly teams: readonly string[];
  readonly channels: readonly string[];
  readonly commandToken?: string;
  readonly actionSecret?: string;
  readonly maxPostChars: number;
  /** Where tickets are shown to staff: a channel id, or "team/channel" names. */
  readonly staffChannel?: string;
}

export interface TeamsConfig {
  /** The Azure Bot's app id; absent (development only): requests are not authenticated. */
  readonly appId?: string;
  readonly appPassword?: string;
  readonly tenantId?: string;
  /** Where tickets are shown to staff in Teams: a channel id (19:...@thread.tacv2). */
  readonly staffChannel?: string;
  /** The connector address for conversations the bot starts before Teams has told it one. */
  readonly serviceUrl: string;
}

const list = (value: string | undefined) => (value ?? "").split(",").map((item) => item.trim()).filter(Boolean);

/**
 * Reads and validates the configuration, once, from the given environment.
 * Empty strings count as unset, so `VAR=` in a .env file falls back to the default.
 *
 * @example const config = loadConfig(process.env);
 */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => key in schema.shape && value !== undefined && value.trim() !== ""),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "configuration");
      return `${name}=${JSON.stringify(env[name] ?? "")} is not valid: expected ${fixes[name] ?? issue.message}`;
    });
    throw new EnsoError("config", `The configuration is not valid:\n  ${lines.join("\n  ")}`, "Correct the variables above in the environment or in .env, then start again.");
  }
  const values = parsed.data;
  if (values.MATTERMOST_URL && !values.MATTERMOST_TOKEN) {
    throw new EnsoError("config", "MATTERMOST_URL is set but MATTERMOST_TOKEN is not.", `Set MATTERMOST_TOKEN to ${fixes.MATTERMOST_TOKEN}, or unset MATTERMOST_URL to use the terminal chat.`);
  }
  if (values.MATTERMOST_TOKEN && !values.MATTERMOST_URL) {
    throw new EnsoError("config", "MATTERMOST_TOKEN is set but MATTERMOST_URL is not.", `Set MATTERMOST_URL to ${fixes.MATTERMOST_URL}.`);
  }
  const teams = teamsConfig(values);
  const port = Math.round(values.ENSO_HTTP_PORT);
  const pair = (a: keyof typeof values, b: keyof typeof values, what: string) => {
    if (Boolean(values[a]) !== Boolean(values[b])) {
      const missing = values[a] ? b : a;
      throw new EnsoError("config", `${what} needs both ${String(a)} and ${String(b)}; ${String(missing)} is not set.`, `Set ${String(missing)} to ${fixes[String(missing)] ?? "a value"}, or unset the other to do without ${what}.`);
    }
  };
  pair("RT_URL", "RT_TOKEN", "Request Tracker");
  pair("GLPI_URL", "GLPI_USER_TOKEN", "GLPI");
  pair("GLPI_URL", "GLPI_APP_TOKEN", "GLPI");
  pair("ENSO_WEBHOOK_URL", "ENSO_WEBHOOK_SECRET", "The webhook");
  pair("SMTP_URL", "ENSO_TICKET_EMAIL_FROM", "Email tickets");
  let staffHours: StaffHours | undefined;
  if (values.ENSO_STAFF_HOURS) {
    try {
      staffHours = parseStaffHours(values.ENSO_STAFF_HOURS, values.ENSO_TIMEZONE);
    } catch (error) {
      throw new EnsoError("config", `ENSO_STAFF_HOURS=${JSON.stringify(values.ENSO_STAFF_HOURS)} (ENSO_TIMEZONE=${values.ENSO_TIMEZONE}) is not valid: ${(error as Error).message}.`, `Write it like ${fixes.ENSO_STAFF_HOURS}, with an IANA time zone in ENSO_TIMEZONE.`);
    }
  }
  const llm = llmConfig(values);
  const embeddings = embeddingsConfig(values);
  const handoff: HandoffConfig = {
    site: values.ENSO_SITE,
    claimTimeoutMs: values.ENSO_CLAIM_TIMEOUT_MINUTES * 60_000,
    ...(staffHours ? { staffHours } : {}),
    outbox: { maxAttempts: Math.round(values.ENSO_OUTBOX_MAX_ATTEMPTS), baseDelayMs: values.ENSO_OUTBOX_RETRY_SECONDS * 1000 },
    ...(values.SMTP_URL && values.ENSO_TICKET_EMAIL_FROM ? { email: { smtpUrl: values.SMTP_URL, from: values.ENSO_TICKET_EMAIL_FROM, to: values.ENSO_TICKET_EMAIL_TO ?? values.ENSO_CONTACT_EMAIL } } : {}),
    ...(values.RT_URL && values.RT_TOKEN ? { rt: { url: values.RT_URL, token: values.RT_TOKEN, queue: values.RT_QUEUE } } : {}),
    ...(values.GLPI_URL && values.GLPI_APP_TOKEN && values.GLPI_USER_TOKEN ? { glpi: { url: values.GLPI_URL, appToken: values.GLPI_APP_TOKEN, userToken: values.GLPI_USER_TOKEN } } : {}),
    ...(values.ENSO_WEBHOOK_URL && values.ENSO_WEBHOOK_SECRET ? { webhook: { url: values.ENSO_WEBHOOK_URL, secret: values.ENSO_WEBHOOK_SECRET } } : {}),
  };
  return Object.freeze({
    dataDir: resolve(values.ENSO_DATA_DIR),
    corpusDir: resolve(values.ENSO_CORPUS_DIR ?? resolve(packageRoot(), "corpus")),
    logLevel: values.LOG_LEVEL,
    logFormat: values.LOG_FORMAT,
    contactEmail: values.ENSO_CONTACT_EMAIL,
    requestFormUrl: values.ENSO_REQUEST_FORM_URL,
    answerThreshold: values.ENSO_ANSWER_THRESHOLD,
    maxQuestionChars: Math.round(values.ENSO_MAX_QUESTION_CHARS),
    searchK: Math.round(values.ENSO_SEARCH_K),
    hnswEf: Math.round(values.ENSO_HNSW_EF),
    http: { host: values.ENSO_HTTP_HOST, port, ...(values.ENSO_PUBLIC_URL ? { publicUrl: values.ENSO_PUBLIC_URL.replace(/\/+$/, "") } : {}) },
    rateLimit: { perMinute: values.ENSO_RATE_LIMIT_PER_MINUTE, burst: Math.round(values.ENSO_RATE_LIMIT_BURST) },
    handoff,
    ...(llm ? { llm } : {}),
    ...(embeddings ? { embeddings } : {}),
    ...(teams ? { teams } : {}),
    ...(values.MATTERMOST_URL && values.MATTERMOST_TOKEN
      ? {
          mattermost: {
            url: values.MATTERMOST_URL.replace(/\/+$/, ""),
            token: values.MATTERMOST_TOKEN,
            teams: list(values.MATTERMOST_TEAMS),
            channels: list(values.MATTERMOST_CHANNELS),
            ...(values.MATTERMOST_COMMAND_TOKEN ? { commandToken: values.MATTERMOST_COMMAND_TOKEN } : {}),
            ...(values.MATTERMOST_ACTION_SECRET ? { actionSecret: values.MATTERMOST_ACTION_SECRET } : {}),
            maxPostChars: Math.round(values.MATTERMOST_MAX_POST_CHARS),
            ...(values.MATTERMOST_STAFF_CHANNEL ? { staffChannel: values.MATTERMOST_STAFF_CHANNEL } : {}),
          },
        }
      : {}),
  });
}

type Values = z.infer<typeof schema>;

const need = (name: keyof Values, why: string): never => {
  throw new EnsoError("config", `${why} needs ${String(name)}, which is not set.`, `Set ${String(name)} to ${fixes[String(name)] ?? "a value"}.`);
};

/** The chat model's settings; each provider says which variables it cannot do without. */
function llmConfig(values: Values): LlmConfig | undefined {
  const provider = values.LLM_PROVIDER;
  if (provider === "none") return undefined;
  const what = `LLM_PROVIDER=${provider}`;
  const model = values.LLM_MODEL ?? need("LLM_MODEL", what);
  if ((provider === "openai-compatible" || provider === "azure-openai") && !values.LLM_BASE_URL) need("LLM_BASE_URL", what);
  if ((provider === "anthropic" || provider === "mistral" || provider === "azure-openai") && !values.LLM_API_KEY) need("LLM_API_KEY", what);
  return {
    provider,
    model,
    ...(values.LLM_BASE_URL ? { baseUrl: values.LLM_BASE_URL.replace(/\/+$/, "") } : {}),
    ...(values.LLM_API_KEY ? { apiKey: values.LLM_API_KEY } : {}),
    apiVersion: values.LLM_API_VERSION,
    timeoutMs: values.LLM_TIMEOUT_SECONDS * 1000,
    temperature: values.LLM_TEMPERATURE,
    maxTokens: Math.round(values.LLM_MAX_TOKENS),
    minConfidence: values.LLM_MIN_CONFIDENCE,
  };
}

/**
 * Teams: on when asked (TEAMS_ENABLED) or when an app id is given. Without an app id requests are
 * not authenticated, which only a developer's machine may do: in production it stops the start.
 */
function teamsConfig(values: Values): TeamsConfig | undefined {
  const enabled = values.TEAMS_ENABLED === "true" || (values.TEAMS_ENABLED !== "false" && values.TEAMS_APP_ID !== undefined);
  if (!enabled) return undefined;
  if (!values.TEAMS_APP_ID && values.NODE_ENV === "production") {
    throw new EnsoError("config", "Teams is enabled in production (NODE_ENV=production) without TEAMS_APP_ID: anyone could post to /api/messages.", `Set TEAMS_APP_ID to ${fixes.TEAMS_APP_ID}, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID, or set TEAMS_ENABLED=false.`);
  }
  if (values.TEAMS_APP_ID) {
    if (!values.TEAMS_APP_PASSWORD) need("TEAMS_APP_PASSWORD", "TEAMS_APP_ID");
    if (!values.TEAMS_TENANT_ID) need("TEAMS_TENANT_ID", "TEAMS_APP_ID");
  }
  return {
    ...(values.TEAMS_APP_ID ? { appId: values.TEAMS_APP_ID } : {}),
    ...(values.TEAMS_APP_PASSWORD ? { appPassword: values.TEAMS_APP_PASSWORD } : {}),
    ...(values.TEAMS_TENANT_ID ? { tenantId: values.TEAMS_TENANT_ID } : {}),
    ...(values.TEAMS_STAFF_CHANNEL ? { staffChannel: values.TEAMS_STAFF_CHANNEL } : {}),
    serviceUrl: values.TEAMS_SERVICE_URL.endsWith("/") ? values.TEAMS_SERVICE_URL : `${values.TEAMS_SERVICE_URL}/`,
  };
}

function embeddingsConfig(values: Values): EmbeddingsConfig | undefined {
  const provider = values.EMBEDDINGS_PROVIDER;
  if (provider === "builtin") return undefined;
  const what = `EMBEDDINGS_PROVIDER=${provider}`;
  const model = values.EMBEDDINGS_MODEL ?? need("EMBEDDINGS_MODEL", what);
  if (provider === "openai-compatible" && !values.EMBEDDINGS_BASE_URL) need("EMBEDDINGS_BASE_URL", what);
  return { provider, model, ...(values.EMBEDDINGS_BASE_URL ? { baseUrl: values.EMBEDDINGS_BASE_URL.replace(/\/+$/, "") } : {}), ...(values.EMBEDDINGS_API_KEY ? { apiKey: values.EMBEDDINGS_API_KEY } : {}) };
}

/** Loads `.env` from the working directory into process.env when it exists (Node's own loader). */
export function loadDotEnv(path = resolve(".env")): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
