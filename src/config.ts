import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { EnsoError } from "./errors.js";

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
  /** Absent when Mattermost is not configured (the terminal chat then starts). */
  readonly mattermost?: MattermostConfig;
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
  const port = Math.round(values.ENSO_HTTP_PORT);
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
          },
        }
      : {}),
  });
}

/** Loads `.env` from the working directory into process.env when it exists (Node's own loader). */
export function loadDotEnv(path = resolve(".env")): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
