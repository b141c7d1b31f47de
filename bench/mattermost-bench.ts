/**
 * Mattermost benchmark: simulated users asking questions at the same time through the in-process
 * fake Mattermost server (REST v4 + WebSocket), answered by the real channel, engine and offline
 * answerer. Measures messages per second, the latency from the `posted` event to the reply's
 * POST (both stamped by the fake server, in this process), messages lost, and peak RSS.
 *
 *   npm run build && node dist/bench/mattermost-bench.js [--users 50] [--rounds 10]
 *
 * Each user asks, waits for the reply, asks again (closed loop), all users at once: first with a
 * pause of 1 to 3 s before each question (people read the answer), then with none (saturation:
 * the most the process takes). The rate limit is raised for the run: it would otherwise (rightly)
 * hold back a user asking ten questions in seconds.
 * Figures go to stdout and to bench/results/mattermost.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createAssistant } from "../src/assistant.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import { answerableQuestions, latencySummary, numberArg, readingPauses } from "./bench-util.js";
import { startServices } from "../src/start-services.js";
import { FakeMattermostServer } from "../test/support/fake-mattermost-server.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const USERS = numberArg("--users", 50);
const ROUNDS = numberArg("--rounds", 10);
const TARGET_P50_MS = 50;
const REPLY_TIMEOUT_MS = 30_000;

const questions = answerableQuestions(root);


const dataDir = mkdtempSync(join(tmpdir(), "enso-mm-bench-"));
const log = createLogger({ logLevel: "silent", logFormat: "json" });
// The client library logs its connection steps with console.log: keep the report readable.
console.log = () => {};
const server = await new FakeMattermostServer().start();
const bot = server.addUser("enso", true);
const users = Array.from({ length: USERS }, (_, i) => server.addUser(`user${i}`));
const channels = users.map((user) => server.addChannel("D", `${bot.id}__${user.id}`, [bot, user]));
const base = loadConfig({ ENSO_DATA_DIR: dataDir, ENSO_HTTP_PORT: "0", ENSO_HTTP_HOST: "127.0.0.1", MATTERMOST_URL: server.url, MATTERMOST_TOKEN: bot.token, ENSO_RATE_LIMIT_PER_MINUTE: "10000", ENSO_RATE_LIMIT_BURST: "10000" });
if (!base.mattermost) throw new Error("Mattermost not configured");
const assistant = await createAssistant(base, log);
const services = await startServices({ ...base, mattermost: base.mattermost }, assistant, log);
await server.waitFor(() => server.openSockets > 0);

// Warm-up: one question per user, not measured.
const warm = users.map((user, i) => server.userPosts(user, channels[i]!, questions[i % questions.length]!));
await server.waitFor(() => warm.every((p) => server.repliesTo(p.id).length > 0), REPLY_TIMEOUT_MS);

/** Every user asks ROUNDS questions, each after the reply to the previous one and a pause. */
async function scenario(name: string, thinkMs: (user: number) => number) {
  const asked: string[] = [];
  let lost = 0;
  const started = performance.now();
  await Promise.all(
    users.map(async (user, u) => {
      for (let round = 0; round < ROUNDS; round++) {
        const pause = thinkMs(u);
        if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
        const post = server.userPosts(user, channels[u]!, questions[(u * ROUNDS + round) % questions.length]!);
        asked.push(post.id);
        try {
          await server.waitFor(() => server.repliesTo(post.id).length > 0, REPLY_TIMEOUT_MS);
        } catch {
          lost++;
        }
      }
    }),
  );
  const wallS = (performance.now() - started) / 1000;
  await services.idle();
  const latencies = asked.flatMap((id) => {
    const posted = server.postedAt.get(id);
    const replied = server.repliedAt.get(id);
    return posted !== undefined && replied !== undefined ? [replied - posted] : [];
  });
  return {
    name,
    messages: asked.length,
    wallS: Number(wallS.toFixed(2)),
    messagesPerSecond: Number((asked.length / wallS).toFixed(1)),
    latencyMs: latencySummary(latencies),
    lost,
    answeredTwice: asked.filter((id) => server.repliesTo(id).filter((p) => p.props.enso_part === 0).length > 1).length,
  };
}

const people = await scenario(`${USERS} users, 1-3 s between a reply and the next question`, readingPauses());
// Every user asks again the moment the reply lands: the most the process can take, and what
// queueing then does to latency.
const saturation = await scenario(`${USERS} users, no pause (saturation)`, () => 0);
const result = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, node: process.version },
  settings: { users: USERS, rounds: ROUNDS, answerer: "offline extractive", transport: "in-process fake Mattermost, real @mattermost/client" },
  scenarios: [people, saturation],
  webSocketConnections: server.connectionsAccepted,
  peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  target: { scenario: people.name, p50Ms: TARGET_P50_MS, pass: people.latencyMs.p50 <= TARGET_P50_MS && people.lost === 0 && saturation.lost === 0 },
};
await services.stop();
await server.stop();
rmSync(dataDir, { recursive: true, force: true });

process.stdout.write(
  [
    `Mattermost benchmark: ${USERS} users x ${ROUNDS} questions each, offline answerer, fake server in-process (${result.webSocketConnections} WebSocket connection(s))`,
    ...result.scenarios.flatMap((r) => [
      `  ${r.name}`,
      `    messages          ${r.messages} in ${r.wallS} s = ${r.messagesPerSecond} msg/s`,
      `    posted -> reply   p50 ${r.latencyMs.p50} ms, p90 ${r.latencyMs.p90} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms`,
      `    lost              ${r.lost} (answered twice: ${r.answeredTwice})`,
    ]),
    `  peak RSS            ${result.peakRssMiB} MiB`,
    `  ${result.target.pass ? "PASS" : "MISS"}  p50 <= ${TARGET_P50_MS} ms with people's pauses, nothing lost in either scenario`,
    "",
  ].join("\n"),
);
mkdirSync(join(root, "bench/results"), { recursive: true });
writeFileSync(join(root, "bench/results/mattermost.json"), `${JSON.stringify(result, null, 2)}\n`);
