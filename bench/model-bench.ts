/**
 * Model benchmark: questions through the in-process fake Mattermost server and the real channel,
 * engine and grounded answerer, answered by a local server speaking the OpenAI-compatible protocol
 * (SSE streaming) with a scripted latency: 150 ms before the first words, then a word every 15 ms.
 * Measures, per question, from its post:
 *   - the first streamed words reaching Mattermost (the draft post's creation),
 *   - the final answer in Mattermost (the last update of that post),
 * and the bot's own overhead: total time minus the model server's own time (request received to
 * reply ended), i.e. retrieval, prompt, WebSocket and REST on top of the model's latency.
 *
 *   npm run build && node dist/bench/model-bench.js [--questions 40]
 *
 * Figures go to stdout and to bench/results/model.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createAssistant } from "../src/assistant.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import { startServices } from "../src/start-services.js";
import { FakeMattermostServer } from "../test/support/fake-mattermost-server.js";
import { FakeModelServer } from "../test/support/fake-model-server.js";
import { answerableQuestions, numberArg, percentile } from "./bench-util.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const QUESTIONS = numberArg("--questions", 40);
const FIRST_WORDS_MS = 150;
const WORD_MS = 15;
const summary = (values: number[]) => ({ n: values.length, p50: +percentile(values, 50).toFixed(1), p90: +percentile(values, 90).toFixed(1), max: +Math.max(...values).toFixed(1) });

console.log = () => {};
const questions = answerableQuestions(root);

const dataDir = mkdtempSync(join(tmpdir(), "enso-model-bench-"));
const log = createLogger({ logLevel: "silent", logFormat: "json" });
const mm = await new FakeMattermostServer().start();
const model = await new FakeModelServer().start();
const bot = mm.addUser("enso", true);
const user = mm.addUser("researcher");
const dm = mm.addChannel("D", `${bot.id}__${user.id}`, [bot, user]);
const config = loadConfig({ ENSO_DATA_DIR: dataDir, ENSO_HTTP_PORT: "0", ENSO_HTTP_HOST: "127.0.0.1", MATTERMOST_URL: mm.url, MATTERMOST_TOKEN: bot.token, LLM_PROVIDER: "openai-compatible", LLM_MODEL: "bench-model", LLM_BASE_URL: `${model.url}/v1`, LLM_MIN_CONFIDENCE: "0", ENSO_RATE_LIMIT_PER_MINUTE: "10000", ENSO_RATE_LIMIT_BURST: "10000" });
if (!config.mattermost) throw new Error("Mattermost not configured");
const services = await startServices({ ...config, mattermost: config.mattermost }, await createAssistant(config, log), log);
await mm.waitFor(() => mm.openSockets > 0);

// Cited from the first sentence, as the prompt asks: nothing is shown before a citation.
const answer = "ENSO accompagne les projets de recherche de l'université [1]. Pour le numérique, les données, la science ouverte et le droit, écrivez-lui en décrivant votre projet, ses données et vos échéances [1].";
const firstWords: number[] = [];
const totals: number[] = [];
const modelTimes: number[] = [];
const overheads: number[] = [];
const firstOverheads: number[] = [];
const beforeModel: number[] = [];
const afterFirstWords: number[] = [];
const afterLastWords: number[] = [];
let streamed = 0;
/** Questions escalated by retrieval before any model call (the corpus knows too little of them). */
let notSentToModel = 0;
for (let i = 0; i < QUESTIONS; i++) {
  model.next({ text: answer, delayMs: FIRST_WORDS_MS, chunkDelayMs: WORD_MS });
  const before = model.chatRequests.length;
  const question = mm.userPosts(user, dm, questions[i % questions.length] ?? "Qui peut contacter ENSO ?");
  const asked = mm.postedAt.get(question.id) ?? performance.now();
  await mm.waitFor(() => mm.repliesTo(question.id).length > 0, 30_000);
  await mm.waitFor(() => !mm.repliesTo(question.id)[0]?.props.enso_draft, 30_000);
  await services.idle();
  const reply = mm.repliesTo(question.id)[0];
  const request = model.chatRequests[before];
  if (!reply || !request?.finishedAt || request.firstTextAt === undefined) {
    notSentToModel++;
    continue;
  }
  const patches = mm.patchLog.filter((p) => p.id === reply.id);
  const end = patches.at(-1)?.at ?? mm.postedAt.get(reply.id) ?? NaN;
  if (patches.length > 0) streamed++;
  const first = mm.repliedAt.get(question.id) ?? NaN;
  firstWords.push(first - asked);
  totals.push(end - asked);
  const modelTime = request.finishedAt - request.receivedAt;
  modelTimes.push(modelTime);
  overheads.push(end - asked - modelTime);
  firstOverheads.push(first - asked - (request.firstTextAt - request.receivedAt));
  beforeModel.push(request.receivedAt - asked);
  afterFirstWords.push(first - request.firstTextAt);
  afterLastWords.push(end - request.finishedAt);
}
const report = {
  date: new Date().toISOString(),
  node: process.version,
  questions: QUESTIONS,
  scriptedModel: { firstWordsMs: FIRST_WORDS_MS, perWordMs: WORD_MS, words: answer.split(/\s+/).length },
  firstWordsInMattermostMs: summary(firstWords),
  finalAnswerInMattermostMs: summary(totals),
  modelOwnTimeMs: summary(modelTimes),
  botOverheadMs: summary(overheads),
  botOverheadToFirstWordsMs: summary(firstOverheads),
  // Where the overhead goes: question post to model request; model's first words to the draft; model's end to the final post.
  splitMs: { beforeModel: summary(beforeModel), firstWordsToDraft: summary(afterFirstWords), modelEndToFinal: summary(afterLastWords) },
  targetOverheadP50Ms: 20,
  streamed,
  notSentToModel,
  rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
};
await services.stop();
await model.stop();
await mm.stop();
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(join(root, "bench/results"), { recursive: true });
writeFileSync(join(root, "bench/results/model.json"), `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
