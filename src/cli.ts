#!/usr/bin/env node
import { createInterface } from "node:readline";
import { Command, InvalidArgumentError, Option } from "commander";
import { SingleBar } from "cli-progress";
import { toJsonAnswer } from "./answer/to-json-answer.js";
import { createAssistant, type Assistant } from "./assistant.js";
import { TerminalChannel } from "./bot/channels/terminal/terminal-channel.js";
import { renderForTerminal } from "./bot/channels/terminal/render-for-terminal.js";
import { ConversationEngine } from "./bot/conversation-engine.js";
import { loadConfig, loadDotEnv, type Config } from "./config.js";
import { EnsoError } from "./errors.js";
import { readEvalCases } from "./evaluation/eval-case.js";
import { formatReport } from "./evaluation/format-report.js";
import { runEval } from "./evaluation/run-eval.js";
import { scoreEval } from "./evaluation/score-eval.js";
import { registerTicketsCommand } from "./handoff/tickets-command.js";
import { createLogger, type Logger } from "./logger.js";
import { startServices } from "./start-services.js";

interface Context {
  config: Config;
  log: Logger;
}

function context(): Context {
  loadDotEnv();
  const config = loadConfig(process.env);
  return { config, log: createLogger(config) };
}

async function assistantFor({ config, log }: Context, forceIndex = false): Promise<Assistant> {
  if (!forceIndex || !process.stderr.isTTY) return createAssistant(config, log, { forceIndex });
  const bar = new SingleBar({ format: "indexing [{bar}] {percentage}% | {value}/{total} vectors", stream: process.stderr, hideCursor: true, clearOnComplete: false });
  let started = false;
  const assistant = await createAssistant(config, log, {
    forceIndex,
    onProgress: (done, total) => {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    },
  });
  if (started) bar.stop();
  return assistant;
}

function parseShare(value: string): number {
  const share = Number(value);
  if (!Number.isFinite(share) || share < 0 || share > 1) throw new InvalidArgumentError("expected a number from 0 to 1, with a dot (e.g. 0.9)");
  return share;
}

/** `--provider`: the answering model for this run, instead of LLM_PROVIDER (its other LLM_* settings apply). */
function providerOption(): Option {
  return new Option("--provider <name>", "answer with this model provider instead of LLM_PROVIDER (LLM_MODEL, LLM_BASE_URL... still apply)").choices(["none", "openai-compatible", "ollama", "anthropic", "mistral", "azure-openai"]);
}

function useProvider(provider: string | undefined): void {
  if (provider) process.env.LLM_PROVIDER = provider;
}

const program = new Command()
  .name("enso")
  .description("The ENSO assistant: answers questions about ENSO from its FAQ and service guides, with sources.")
  .showHelpAfterError();

program
  .command("ask")
  .description("answer one question (or, with --jsonl, one per line of standard input)")
  .argument("[question...]", "the question")
  .option("--json", "print one JSON object: decision, answer, confidence, citations")
  .option("--jsonl", "read one question per line of standard input and print one JSON object per line, in order")
  .addOption(providerOption())
  .action(async (words: string[], options: { json?: boolean; jsonl?: boolean; provider?: string }) => {
    useProvider(options.provider);
    const assistant = await assistantFor(context());
    if (options.jsonl) {
      for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
        process.stdout.write(`${JSON.stringify(toJsonAnswer(await assistant.ask(line)))}\n`);
      }
      return;
    }
    const answer = await assistant.ask(words.join(" "));
    if (options.json) process.stdout.write(`${JSON.stringify(toJsonAnswer(answer))}\n`);
    else process.stdout.write(`${renderForTerminal({ kind: "answer", answer })}\n`);
  });

program
  .command("eval")
  .description("score a question set (JSONL: id, q, expect, any, none) and list each miss")
  .argument("<file>", "the question set")
  .option("--json", "print the report as JSON")
  .addOption(new Option("--min-accuracy <share>", "exit with status 1 when in-scope accuracy is below this share (0 to 1)").argParser(parseShare))
  .addOption(new Option("--min-recall <share>", "exit with status 1 when escalation recall is below this share (0 to 1)").argParser(parseShare))
  .addOption(providerOption())
  .action(async (file: string, options: { json?: boolean; minAccuracy?: number; minRecall?: number; provider?: string }) => {
    useProvider(options.provider);
    const cases = readEvalCases(file);
    const assistant = await assistantFor(context());
    const report = scoreEval(await runEval(assistant, cases));
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
    // A gate over no question at all proves nothing: it fails.
    const failures = [
      options.minAccuracy !== undefined && (report.all.inScope === 0 || report.all.inScopeAccuracy < options.minAccuracy) ? `in-scope accuracy ${report.all.inScopeAccuracy.toFixed(3)} of ${report.all.inScope} < ${options.minAccuracy}` : "",
      options.minRecall !== undefined && (report.all.outOfScope === 0 || report.all.escalationRecall < options.minRecall) ? `escalation recall ${report.all.escalationRecall.toFixed(3)} of ${report.all.outOfScope} < ${options.minRecall}` : "",
    ].filter(Boolean);
    if (failures.length > 0) {
      process.stderr.write(`eval failed: ${failures.join("; ")}\n`);
      process.exitCode = 1;
    }
  });

program
  .command("index")
  .description("rebuild the search index from the corpus (it is also rebuilt automatically when stale)")
  .action(async () => {
    const ctx = context();
    const assistant = await assistantFor(ctx, true);
    const { manifest } = assistant.index;
    process.stdout.write(`index built: ${manifest.chunks} passages, ${manifest.vectors} vectors, embedder ${manifest.embedder.id}, in ${ctx.config.dataDir}\n`);
  });

const start = async () => {
  const ctx = context();
  const { config, log } = ctx;
  if (!config.mattermost && !config.teams) return chat();
  const services = await startServices(config, await assistantFor(ctx), log);
  const shutdown = (signal: string) => {
    log.info({ signal }, "stopping");
    void services.stop().then(() => process.exit(0));
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
};

const chat = async () => {
  const base = context();
  // In a terminal conversation, info lines would interleave with the answers: warnings only, unless asked.
  const ctx = process.env.LOG_LEVEL ? base : { ...base, log: createLogger({ ...base.config, logLevel: "warn" }) };
  const contact = { email: base.config.contactEmail, requestFormUrl: base.config.requestFormUrl };
  const engine = new ConversationEngine(await assistantFor(ctx), ctx.log, { contact });
  const channel = new TerminalChannel();
  process.once("SIGINT", () => void channel.stop().then(() => process.exit(0)));
  await channel.start((message) => engine.handle(message));
};

registerTicketsCommand(program, context);

program.command("chat").description("talk with the assistant in this terminal").action(chat);
program.command("start").description("start the assistant on the configured channels (the terminal chat when none is configured)").action(start);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof EnsoError) {
    process.stderr.write(`enso: ${error.describe()}\n`);
    process.exitCode = error.code === "config" ? 78 : 1;
  } else {
    process.stderr.write(`enso: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
}
