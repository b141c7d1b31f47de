import pino, { type Logger } from "pino";
import pretty from "pino-pretty";
import type { Config } from "./config.js";

export type { Logger };

/** Paths whose values never reach a log line (secrets and personal data). */
const secretKeys = ["token", "commandToken", "actionSecret", "apiKey", "password", "appPassword", "secret", "email", "smtpUrl", "appToken", "userToken"];
export const redactedPaths = [...secretKeys, ...secretKeys.map((key) => `*.${key}`), "headers.authorization", "*.headers.authorization"];

/**
 * The assistant's logger: JSON lines on standard error (standard output is kept for answers),
 * pretty-printed when standard error is a terminal and LOG_FORMAT is auto.
 *
 * @example const log = createLogger(config); log.info({ chunks: 42 }, "index built");
 */
export function createLogger(config: Pick<Config, "logLevel" | "logFormat">, destination?: NodeJS.WritableStream): Logger {
  const options = { level: config.logLevel, redact: { paths: redactedPaths, censor: "[redacted]" }, base: { app: "enso" } };
  if (destination) return pino(options, destination);
  const wantsPretty = config.logFormat === "pretty" || (config.logFormat === "auto" && process.stderr.isTTY === true);
  if (wantsPretty) return pino(options, pretty({ destination: 2, sync: true, ignore: "pid,hostname,app", translateTime: "HH:MM:ss" }));
  return pino(options, pino.destination({ dest: 2, sync: true }));
}
