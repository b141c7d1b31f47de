/**
 * Fits the decision policy's logistic weights on a question set (default: the project's own,
 * test/eval/questions.jsonl) and prints them with the accuracy and escalation recall each
 * threshold would give. Run: npm run build && node dist/scripts/calibrate-policy.js [FILE]
 * Copy the weights into src/answer/decision-policy.ts by hand: a person decides.
 */
import { resolve } from "node:path";
import { createAssistant } from "../src/assistant.js";
import { confidenceOf, ensoPassages, gatherEvidence, policyWeights, type Evidence } from "../src/answer/decision-policy.js";
import { loadConfig } from "../src/config.js";
import { readEvalCases } from "../src/evaluation/eval-case.js";
import { containsPhrase } from "../src/evaluation/normalize-for-match.js";
import { createLogger } from "../src/logger.js";

const file = process.argv[2] ?? resolve("test/eval/questions.jsonl");
const config = loadConfig({ ...process.env, LOG_LEVEL: "warn" });
const assistant = await createAssistant(config, createLogger(config));
const features = Object.keys(policyWeights).filter((key) => key !== "bias") as (keyof Evidence)[];

const samples: { x: number[]; y: number; id: string }[] = [];
for (const c of readEvalCases(file)) {
  const result = await assistant.ask(c.q);
  if (!result.search || result.reason === "user_request" || result.reason === "injection" || c.expect === "any") continue;
  // A question a topic of another service took is escalated whatever the weights say.
  if (result.elsewhere) continue;
  const search = ensoPassages(result.search);
  const evidence = gatherEvidence(search);
  if (!evidence) continue;
  const best = search.hits[0];
  const right = c.expect === "answered" && best !== undefined && c.any.some((phrase) => containsPhrase(best.chunk.text, phrase));
  samples.push({ x: features.map((f) => evidence[f]), y: right ? 1 : 0, id: c.id });
}

if (process.env.CALIBRATE_DUMP) for (const s of samples) console.log(s.y, s.x.map((v) => v.toFixed(2)).join(" "), s.id);

// Logistic regression by gradient descent with a little L2 on standardised features, then
// mapped back to the raw features so that the weights apply to the evidence as it comes.
const mean = features.map((_, i) => samples.reduce((sum, s) => sum + (s.x[i] ?? 0), 0) / samples.length);
const spread = features.map((_, i) => Math.sqrt(samples.reduce((sum, s) => sum + ((s.x[i] ?? 0) - (mean[i] ?? 0)) ** 2, 0) / samples.length) || 1);
const scaled = samples.map((s) => s.x.map((v, i) => (v - (mean[i] ?? 0)) / (spread[i] ?? 1)));
const u = new Array(features.length + 1).fill(0);
const logistic = (z: number) => 1 / (1 + Math.exp(-z));
for (let epoch = 0; epoch < 5000; epoch++) {
  const grad = new Array(u.length).fill(0);
  scaled.forEach((x, n) => {
    const error = logistic(u[0] + x.reduce((sum, v, i) => sum + v * u[i + 1], 0)) - (samples[n]?.y ?? 0);
    grad[0] += error;
    x.forEach((v, i) => (grad[i + 1] += error * v));
  });
  for (let i = 0; i < u.length; i++) u[i] -= 0.5 * (grad[i] / samples.length + (i > 0 ? 0.02 * u[i] : 0));
}
const w: number[] = [(u[0] ?? 0) - features.reduce((sum, _, i) => sum + ((u[i + 1] ?? 0) * (mean[i] ?? 0)) / (spread[i] ?? 1), 0), ...features.map((_, i) => (u[i + 1] ?? 0) / (spread[i] ?? 1))];
const predict = (x: number[]) => logistic((w[0] ?? 0) + x.reduce((sum, v, i) => sum + v * (w[i + 1] ?? 0), 0));
const weights = Object.fromEntries([["bias", w[0]], ...features.map((f, i) => [f, w[i + 1]])].map(([k, v]) => [k, Number((v as number).toFixed(2))]));
console.log(`samples: ${samples.length} (${samples.filter((s) => s.y === 1).length} answerable with the best passage)`);
console.log("fitted weights:", JSON.stringify(weights));
console.log("threshold  answer-right  escalate-right  (current weights in parentheses)");
for (const t of [0.3, 0.4, 0.5, 0.6, 0.7]) {
  const rate = (score: (x: number[]) => number) => {
    const pos = samples.filter((s) => s.y === 1);
    const neg = samples.filter((s) => s.y === 0);
    return `${pos.filter((s) => score(s.x) >= t).length}/${pos.length}  ${neg.filter((s) => score(s.x) < t).length}/${neg.length}`;
  };
  const current = (x: number[]) => confidenceOf(Object.fromEntries(features.map((f, i) => [f, x[i]])) as unknown as Evidence);
  console.log(`${t.toFixed(1).padEnd(10)} ${rate(predict).padEnd(28)} (${rate(current)})`);
}
