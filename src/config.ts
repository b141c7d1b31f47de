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
}

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
  });
}

/** Loads `.env` from the working directory into process.env when it exists (Node's own loader). */
export function loadDotEnv(path = resolve(".env")): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
