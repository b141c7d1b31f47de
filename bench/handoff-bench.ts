/**
 * Handoff benchmark: researchers ask for a person through the in-process fake Mattermost server;
 * the real channel, engine, desk and outbox open tickets, post the staff channel's card, and mail
 * them to a real SMTP server (smtp-server from npm) and, when Debian's request-tracker5 is
 * installed, to a real Request Tracker 5. Measures, from the question's post:
 *   - the reply that gives the ticket's reference,
 *   - the card in the staff channel,
 *   - the email accepted by the SMTP server,
 *   - the ticket created in RT (outbox delivery time, recorded by the bot's SQLite store).
 *
 *   npm run build && node dist/bench/handoff-bench.js [--tickets 40] [--no-rt]
 *
 * Questions are asked one after another, then --burst of them at once.
 * Figures go to stdout and to bench/results/handoff.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { createAssistant } from "../src/assistant.js";
import { loadConfig } from "../src/config.js";
import { EmailSink } from "../src/handoff/sinks/email-sink.js";
import { RtSink } from "../src/handoff/sinks/rt-sink.js";
import type { TicketSink } from "../src/handoff/ticket-sink.js";
import { createLogger } from "../src/logger.js";
import { numberArg, percentile } from "./bench-util.js";
import { startServices } from "../src/start-services.js";
import { FakeMattermostServer, type FakePost } from "../test/support/fake-mattermost-server.js";
import { RequestTracker, requestTrackerMissing } from "../test/support/request-tracker.js";
import { SmtpCapture } from "../test/support/smtp-capture.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const TICKETS = numberArg("--tickets", 40);
const BURST = numberArg("--burst", 20);
const withRt = !process.argv.includes("--no-rt") && requestTrackerMissing() === undefined;

const summary = (values: number[]) => ({ n: values.length, p50: +percentile(values, 50).toFixed(1), p90: +percentile(values, 90).toFixed(1), max: +Math.max(...values).toFixed(1) });

console.log = () => {};
const dataDir = mkdtempSync(join(tmpdir(), "enso-handoff-bench-"));
const log = createLogger({ logLevel: (process.env.LOG_LEVEL as "silent" | undefined) ?? "silent", logFormat: "json" });
const server = await new FakeMattermostServer().start();
const smtp = await new SmtpCapture().start();
const rt = withRt ? await new RequestTracker().start() : undefined;
const bot = server.addUser("enso", true);
const staff = server.addUser("marie");
const staffChannel = server.addChannel("O", "enso-equipe", [bot, staff]);
const base = loadConfig({ ENSO_DATA_DIR: dataDir, ENSO_HTTP_PORT: "0", ENSO_HTTP_HOST: "127.0.0.1", MATTERMOST_URL: server.url, MATTERMOST_TOKEN: bot.token, MATTERMOST_STAFF_CHANNEL: "paris1/enso-equipe", ENSO_RATE_LIMIT_PER_MINUTE: "10000", ENSO_RATE_LIMIT_BURST: "10000" });
if (!base.mattermost) throw new Error("Mattermost not configured");
const sinks: TicketSink[] = [new EmailSink({ smtpUrl: smtp.url, from: "Assistant ENSO <enso-bot@univ-paris1.fr>", to: "enso@univ-paris1.fr" })];
if (rt) sinks.push(new RtSink({ url: rt.url, token: rt.token, queue: "General" }));
const services = await startServices({ ...base, mattermost: base.mattermost }, await createAssistant(base, log), log, { sinks });

interface Sample {
  question: FakePost;
  askedAt: number;
}

function ask(i: number): Sample {
  const user = server.addUser(`researcher${i}`);
  const dm = server.addChannel("D", `${bot.id}__${user.id}`, [bot, user]);
  const askedAt = performance.now();
  return { question: server.userPosts(user, dm, `Bonjour, je voudrais parler à un humain au sujet de mon projet n° ${i}`), askedAt };
}

async function measure(samples: Sample[]) {
  await server.waitFor(() => samples.every((s) => server.repliesTo(s.question.id).length > 0), 60_000);
  const refs = samples.map((s) => /ENSO-\d{8}-[0-9A-Z]{5}/.exec(server.repliesTo(s.question.id)[0]?.message ?? "")?.[0] ?? "");
  const card = (ref: string) => [...server.posts.values()].find((p) => p.channel_id === staffChannel.id && !p.root_id && p.props.enso_ticket === ref);
  const mail = (ref: string) => smtp.mails.find((m) => m.parsed.headers.get("x-enso-ticket") === ref);
  await server.waitFor(() => refs.every((ref) => card(ref) !== undefined), 60_000);
  const deadline = Date.now() + 120_000;
  while (!refs.every((ref) => mail(ref)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await services.outbox.idle();
  const db = new Database(join(dataDir, "enso.sqlite"), { readonly: true });
  const rtDone = db.prepare("SELECT o.done_at - t.created_at AS ms FROM outbox o JOIN tickets t ON t.ref = o.ref WHERE o.sink = 'rt' AND o.kind = 'create' AND o.status = 'delivered' AND o.ref = ?");
  const result = {
    reply: summary(samples.map((s) => (server.postedAt.get(server.repliesTo(s.question.id)[0]?.id ?? "") ?? NaN) - s.askedAt)),
    card: summary(samples.map((s, i) => (server.postedAt.get(card(refs[i] ?? "")?.id ?? "") ?? NaN) - s.askedAt)),
    email: summary(samples.map((s, i) => (mail(refs[i] ?? "")?.at ?? NaN) - s.askedAt)),
    ...(rt ? { rtFromTicket: summary(refs.map((ref) => (rtDone.get(ref) as { ms: number } | undefined)?.ms ?? NaN)) } : {}),
    lost: refs.filter((ref) => !ref || !card(ref) || !mail(ref)).length,
  };
  db.close();
  return result;
}

const sequential: Sample[] = [];
for (let i = 0; i < TICKETS; i++) {
  const sample = ask(i);
  sequential.push(sample);
  await server.waitFor(() => server.repliesTo(sample.question.id).length > 0, 30_000);
  await services.outbox.idle();
}
const one = await measure(sequential);
const burst = await measure(Array.from({ length: BURST }, (_, i) => ask(TICKETS + i)));
const cards = [...server.posts.values()].filter((p) => p.channel_id === staffChannel.id && !p.root_id).length;
const report = { date: new Date().toISOString(), node: process.version, tickets: TICKETS, burst: BURST, requestTracker: Boolean(rt), oneAtATime: one, burstAtOnce: burst, cardsPosted: cards, emails: smtp.mails.length, rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20) };
await services.stop();
await smtp.stop();
await rt?.stop();
await server.stop();
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(join(root, "bench/results"), { recursive: true });
writeFileSync(join(root, "bench/results/handoff.json"), `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
