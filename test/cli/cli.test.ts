import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/free-port.js";
import { runEnso } from "../support/run-enso.js";
import { FakeMattermostServer } from "../support/fake-mattermost-server.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const cli = join(root, "dist", "src", "cli.js");
const corpus = join(root, "corpus");
const temporary: string[] = [];

/** A fresh folder, removed after the tests. */
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

const enso = runEnso;

/** The JSON log lines of standard error. */
function logsOf(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A copy of the corpus whose faq-doctorants.md has a badly indented line 7 in its front matter. */
function breakFrontMatter(corpusDir: string): string {
  const file = join(corpusDir, "faq", "faq-doctorants.md");
  const lines = readFileSync(file, "utf8").split("\n");
  expect(lines[6]).toMatch(/^ {2}url: /);
  lines[6] = ` ${lines[6]?.trimStart()}`;
  writeFileSync(file, lines.join("\n"));
  return file;
}

let dataDir: string;

beforeAll(() => {
  if (!existsSync(cli)) execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: root, stdio: "inherit" });
  dataDir = tempDir("enso-cli-data-");
});

afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

describe("enso ask", () => {
  it("prints exactly one JSON answer with its citations on standard output, and logs only on standard error", async () => {
    const run = await enso(["ask", "--json", "Un doctorant peut-il avoir accès à ENSO ?"], { ENSO_DATA_DIR: tempDir("enso-cli-fresh-"), LOG_LEVEL: "info" });
    expect(run.code).toBe(0);
    expect(run.stdout.endsWith("\n")).toBe(true);
    expect(run.stdout.trimEnd().split("\n")).toHaveLength(1);
    const answer = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(answer).sort()).toEqual(["answer", "citations", "confidence", "decision"]);
    expect(answer.decision).toBe("answered");
    expect(answer.confidence).toBeGreaterThanOrEqual(0);
    expect(answer.confidence).toBeLessThanOrEqual(1);
    const citations = answer.citations as Array<Record<string, unknown>>;
    expect(citations.length).toBeGreaterThan(0);
    for (const citation of citations) {
      expect(Object.keys(citation).sort()).toEqual(["id", "source", "text", "title"]);
      for (const value of Object.values(citation)) expect(typeof value).toBe("string");
    }
    expect(citations[0]?.text).toContain("thèse");
    expect(logsOf(run.stderr).map((log) => log.msg)).toContain("index built");
  });

  it("answers one JSON line per input line, in order, without crashing on empty or huge lines", async () => {
    const lines = ["Qui peut contacter ENSO ?", "What is ENSO's email address?", "", "a".repeat(20_000)];
    const run = await enso(["ask", "--jsonl"], { ENSO_DATA_DIR: dataDir }, `${lines.join("\n")}\n`);
    expect(run.code).toBe(0);
    const answers = run.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as { decision: string; answer: string });
    expect(answers).toHaveLength(4);
    expect(answers[0]?.decision).toBe("answered");
    expect(answers[0]?.answer).toMatch(/^Voici/);
    expect(answers[1]?.answer).toMatch(/^(Here is|Of course|I can't|To get)/);
    for (const refused of [answers[2], answers[3]]) {
      expect(refused?.decision).toBe("escalated");
      expect(refused?.answer.length).toBeGreaterThan(0);
      expect(refused?.answer.length).toBeLessThan(400);
    }
    expect(answers[2]?.answer).toMatch(/vide/);
    expect(answers[3]?.answer).toMatch(/trop long/);
  });

  it("hands over to the team with its address when asked for a person", async () => {
    const run = await enso(["ask", "--json", "I need a human, please."], { ENSO_DATA_DIR: dataDir });
    expect(run.code).toBe(0);
    const answer = JSON.parse(run.stdout) as { decision: string; answer: string; citations: unknown[] };
    expect(answer.decision).toBe("escalated");
    expect(answer.answer).toContain("enso@univ-paris1.fr");
    expect(answer.citations).toEqual([]);
  });

  it("escalates a question for another service, names that service, and quotes none of its topics", async () => {
    const run = await enso(["ask", "--json", "Ma connexion sans fil eduroam saute toutes les cinq minutes dans l'amphi, que faire ?"], { ENSO_DATA_DIR: dataDir });
    expect(run.code).toBe(0);
    const answer = JSON.parse(run.stdout) as { decision: string; answer: string; citations: unknown[] };
    expect(answer.decision).toBe("escalated");
    expect(answer.answer).toMatch(/autre service de l'université \(support informatique/);
    expect(answer.answer).toContain("enso@univ-paris1.fr");
    expect(answer.citations).toEqual([]);
  });
});

describe("enso eval", () => {
  const questionSet = () => {
    const file = join(tempDir("enso-cli-eval-"), "set.jsonl");
    const cases = [
      { id: "doctorant", q: "Un doctorant peut-il avoir accès à ENSO ?", expect: "answered", any: ["dispositif d appui adapte aux doctorants"] },
      { id: "deliberate-miss", q: "Qui peut contacter ENSO ?", expect: "answered", any: ["une phrase que le corpus ne contient pas"] },
    ];
    writeFileSync(file, `${cases.map((c) => JSON.stringify(c)).join("\n")}\n`);
    return file;
  };

  it("prints the figures and lists a failing case as a miss", async () => {
    const run = await enso(["eval", questionSet()], { ENSO_DATA_DIR: dataDir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/in-scope accuracy\s+50\.0% of 2/);
    expect(run.stdout).toContain("misses (1):");
    expect(run.stdout).toMatch(/- deliberate-miss \[expected answered, got answered\]/);
    expect(run.stdout).not.toMatch(/- doctorant \[/);
  });

  it("exits with status 1 when accuracy is below --min-accuracy", async () => {
    const run = await enso(["eval", questionSet(), "--min-accuracy", "1"], { ENSO_DATA_DIR: dataDir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/eval failed: in-scope accuracy 0\.500 of 2 < 1/);
  });
});

describe("a corpus with a broken front matter", () => {
  it("stops with the file and line when there is no previous index", async () => {
    const corpusDir = tempDir("enso-cli-corpus-");
    cpSync(corpus, corpusDir, { recursive: true });
    breakFrontMatter(corpusDir);
    const run = await enso(["ask", "--json", "Un doctorant peut-il avoir accès à ENSO ?"], { ENSO_DATA_DIR: tempDir("enso-cli-empty-"), ENSO_CORPUS_DIR: corpusDir });
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`${join("faq", "faq-doctorants.md")}:7`);
  });

  it("keeps answering from the previous index and logs an error naming the broken file", async () => {
    const corpusDir = tempDir("enso-cli-corpus-");
    cpSync(corpus, corpusDir, { recursive: true });
    const data = tempDir("enso-cli-previous-");
    const question = "Un doctorant peut-il avoir accès à ENSO ?";
    expect((await enso(["ask", "--json", question], { ENSO_DATA_DIR: data, ENSO_CORPUS_DIR: corpusDir })).code).toBe(0);
    breakFrontMatter(corpusDir);
    const run = await enso(["ask", "--json", question], { ENSO_DATA_DIR: data, ENSO_CORPUS_DIR: corpusDir });
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { decision: string }).decision).toBe("answered");
    const errors = logsOf(run.stderr).filter((log) => log.level === 50);
    expect(errors).toHaveLength(1);
    expect(JSON.stringify(errors[0])).toContain(`${join("faq", "faq-doctorants.md")}:7`);
  });
});

describe("npm start with Mattermost configured", () => {
  let server: FakeMattermostServer;

  beforeAll(async () => {
    server = await new FakeMattermostServer().start();
  });

  afterAll(async () => {
    await server.stop();
  });

  it("connects, answers a direct message, serves /healthz, keeps personal data out of info logs, and stops cleanly", async () => {
    const bot = server.addUser("enso", true);
    const alice = server.addUser("alice.martin");
    const dm = server.addChannel("D", `${bot.id}__${alice.id}`, [bot, alice]);
    const port = await freePort();
    const child = spawn(process.execPath, [cli, "start"], {
      cwd: root,
      env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "info", LOG_FORMAT: "json", ENSO_DATA_DIR: tempDir("enso-start-"), MATTERMOST_URL: server.url, MATTERMOST_TOKEN: bot.token, ENSO_HTTP_PORT: String(port), ENSO_HTTP_HOST: "127.0.0.1" },
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    try {
      await server.waitFor(() => server.openSockets > 0, 30_000);
      const question = server.userPosts(alice, dm, "Qui peut contacter ENSO ? Mon adresse est alice.martin@univ-paris1.fr");
      await server.waitFor(() => server.repliesTo(question.id).length > 0);
      const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { status: string; mattermost: { connected: boolean; answered: number } };
      expect(health).toMatchObject({ status: "ok", mattermost: { connected: true, answered: 1 } });
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    const logs = logsOf(stderr);
    expect(logs.some((line) => line.msg === "connected to Mattermost")).toBe(true);
    expect(logs.some((line) => line.msg === "turn")).toBe(true);
    expect(stderr).not.toMatch(/alice|Qui peut contacter/i);
  });

  it("refuses to start when MATTERMOST_URL is set without MATTERMOST_TOKEN, naming the variable", async () => {
    const run = await enso(["start"], { ENSO_DATA_DIR: tempDir("enso-start-"), MATTERMOST_URL: server.url });
    expect(run.code).toBe(78);
    expect(run.stderr).toContain("MATTERMOST_TOKEN");
  });

  it("refuses to serve Teams in production without credentials, naming TEAMS_APP_ID", async () => {
    const run = await enso(["start"], { ENSO_DATA_DIR: tempDir("enso-start-"), TEAMS_ENABLED: "true", NODE_ENV: "production" });
    expect(run.code).toBe(78);
    expect(run.stderr).toContain("TEAMS_APP_ID");
  });
});
