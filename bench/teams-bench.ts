/**
 * Teams benchmark: simulated users asking in one-to-one chats at the same time, each question a real
 * Activity POSTed over HTTP to /api/messages (authentication off), answered by the real Agents SDK
 * channel, engine and offline answerer, the reply sent to an in-process fake Bot Connector. Measures
 * the time to the HTTP acknowledgement, the latency from the activity's POST to the reply reaching
 * the connector (both stamped with performance.now() in this process), messages per second, messages
 * lost or answered twice, and peak RSS.
 *
 *   npm run build && node dist/bench/teams-bench.js [--users 50] [--rounds 10]
 *
 * Closed loop, as the Mattermost benchmark: each user asks, waits for the reply, asks again; first
 * with 1 to 3 s of reading between questions, then with none (saturation).
 * Figures go to stdout and to bench/results/teams.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createAssistant } from "../src/assistant.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import { startServices } from "../src/start-services.js";
import { FakeBotConnector } from "../test/support/fake-bot-connector.js";
import { personalMessage, teamsUser } from "../test/support/teams-activities.js";
import { answerableQuestions, latencySummary, numberArg, readingPauses } from "./bench-util.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const USERS = numberArg("--users", 50);
const ROUNDS = numberArg("--rounds", 10);
const TARGET_P50_MS = 50;
const REPLY_TIMEOUT_MS = 30_000;
const questions = answerableQuestions(root);

const dataDir = mkdtempSync(join(tmpdir(), "enso-teams-bench-"));
const log = createLogger({ logLevel: "silent", logFormat: "json" });
const connector = await new FakeBotConnector().start();
const config = loadConfig({ ENSO_DATA_DIR: dataDir, ENSO_HTTP_PORT: "0", ENSO_HTTP_HOST: "127.0.0.1", TEAMS_ENABLED: "true", ENSO_RATE_LIMIT_PER_MINUTE: "10000", ENSO_RATE_LIMIT_BURST: "10000" });
const services = await startServices(config, await createAssistant(config, log), log, { sinks: [] });
const users = Array.from({ length: USERS }, (_, i) => teamsUser(`user${i}`));
// The Bot Connector keeps its connections to the bot open, as Azure does.
const agent = new Agent({ keepAlive: true, maxSockets: USERS });

/** POSTs one activity; resolves with the time the acknowledgement took. */
function post(activity: Record<string, unknown>): Promise<{ status: number; ackMs: number; sentAt: number }> {
  const body = JSON.stringify(activity);
  const sentAt = performance.now();
  return new Promise((done, fail) => {
    const req = request({ host: "127.0.0.1", port: services.port, path: "/api/messages", method: "POST", agent, headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } }, (response) => {
      response.resume();
      response.on("end", () => done({ status: response.statusCode ?? 0, ackMs: performance.now() - sentAt, sentAt }));
    });
    req.on("error", fail);
    req.end(body);
  });
}

const replies = (id: string) => connector.calls.filter((call) => call.op === "reply" && call.activityId === id && (call.body as { type?: string }).type === "message");

async function waitForReply(id: string): Promise<boolean> {
  const deadline = Date.now() + REPLY_TIMEOUT_MS;
  while (replies(id).length === 0) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
  return true;
}

// Warm-up: one question per user, not measured.
await Promise.all(users.map(async (user, i) => {
  const activity = personalMessage(connector.url, user, questions[i % questions.length] ?? "ENSO ?");
  await post(activity);
  await waitForReply(String(activity.id));
}));

async function scenario(name: string, thinkMs: () => number) {
  const asked: { id: string; sentAt: number; ackMs: number }[] = [];
  let lost = 0;
  let refused = 0;
  const started = performance.now();
  await Promise.all(
    users.map(async (user, u) => {
      for (let round = 0; round < ROUNDS; round++) {
        const pause = thinkMs();
        if (pause > 0) await new Promise((r) => setTimeout(r, pause));
        const activity = personalMessage(connector.url, user, questions[(u * ROUNDS + round) % questions.length] ?? "ENSO ?");
        const { status, ackMs, sentAt } = await post(activity);
        if (status !== 200) refused++;
        asked.push({ id: String(activity.id), sentAt, ackMs });
        if (!(await waitForReply(String(activity.id)))) lost++;
      }
    }),
  );
  const wallS = (performance.now() - started) / 1000;
  await services.idle();
  const latencies = asked.flatMap((q) => {
    const reply = replies(q.id)[0];
    return reply ? [reply.at - q.sentAt] : [];
  });
  const acks = asked.map((q) => q.ackMs);
  return {
    name,
    messages: asked.length,
    wallS: Number(wallS.toFixed(2)),
    messagesPerSecond: Number((asked.length / wallS).toFixed(1)),
    ackMs: latencySummary(acks),
    latencyMs: latencySummary(latencies),
    lost,
    refused,
    answeredTwice: asked.filter((q) => replies(q.id).length > 1).length,
  };
}

const people = await scenario(`${USERS} users, 1-3 s between a reply and the next question`, readingPauses());
const saturation = await scenario(`${USERS} users, no pause (saturation)`, () => 0);
const result = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, node: process.version },
  settings: { users: USERS, rounds: ROUNDS, answerer: "offline extractive", transport: "HTTP activities to /api/messages, in-process fake Bot Connector, real @microsoft/agents-hosting" },
  scenarios: [people, saturation],
  peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  target: { scenario: people.name, p50Ms: TARGET_P50_MS, pass: people.latencyMs.p50 <= TARGET_P50_MS && people.lost === 0 && saturation.lost === 0 },
};
agent.destroy();
await services.stop();
await connector.stop();
rmSync(dataDir, { recursive: true, force: true });

process.stdout.write(
  [
    `Teams benchmark: ${USERS} users x ${ROUNDS} questions each, offline answerer, fake Bot Connector in-process`,
    ...result.scenarios.flatMap((r) => [
      `  ${r.name}`,
      `    messages             ${r.messages} in ${r.wallS} s = ${r.messagesPerSecond} msg/s`,
      `    HTTP acknowledgement p50 ${r.ackMs.p50} ms, p90 ${r.ackMs.p90} ms, p99 ${r.ackMs.p99} ms`,
      `    activity -> reply    p50 ${r.latencyMs.p50} ms, p90 ${r.latencyMs.p90} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms`,
      `    lost                 ${r.lost} (refused: ${r.refused}, answered twice: ${r.answeredTwice})`,
    ]),
    `  peak RSS               ${result.peakRssMiB} MiB`,
    `  ${result.target.pass ? "PASS" : "MISS"}  p50 <= ${TARGET_P50_MS} ms with people's pauses, nothing lost in either scenario`,
    "",
  ].join("\n"),
);
mkdirSync(join(root, "bench/results"), { recursive: true });
writeFileSync(join(root, "bench/results/teams.json"), `${JSON.stringify(result, null, 2)}\n`);
