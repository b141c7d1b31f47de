import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAssistant, type Assistant } from "../../src/assistant.js";
import { ConversationEngine } from "../../src/bot/conversation-engine.js";
import { RateLimiter } from "../../src/bot/rate-limiter.js";
import type { InboundMessage } from "../../src/bot/inbound-message.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";

/** Every line the logger writes, as the objects a log collector would receive. */
const logs: Array<Record<string, unknown>> = [];
const collector = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString("utf8").split("\n")) if (line.trim() !== "") logs.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});
const log = createLogger({ logLevel: "info", logFormat: "json" }, collector);

let dataDir: string;
let assistant: Assistant;
let engine: ConversationEngine;
let nextId = 0;
const contact = { email: "enso@univ-paris1.fr", requestFormUrl: "https://recherche.pantheonsorbonne.fr" };

function message(text: string, overrides: Partial<InboundMessage> = {}): InboundMessage {
  nextId += 1;
  return {
    platform: "terminal",
    conversationId: "conversation-1",
    messageId: `message-${nextId}`,
    userId: "user-1",
    userName: "Camille Martin",
    text,
    isDirect: true,
    mentionsBot: false,
    receivedAt: new Date("2026-03-02T10:00:00Z"),
    ...overrides,
  };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "enso-engine-"));
  assistant = await createAssistant(loadConfig({ ENSO_DATA_DIR: dataDir }), log);
});

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  engine = new ConversationEngine(assistant, log, { contact });
  logs.length = 0;
});

const turns = () => logs.filter((line) => line.msg === "turn");

describe("ConversationEngine", () => {
  it("answers a question with the cited passage", async () => {
    const reply = await engine.handle(message("Un doctorant peut-il avoir accès à ENSO ?"));
    expect(reply?.kind).toBe("answer");
    if (reply?.kind !== "answer") return;
    expect(reply.answer.decision).toBe("answered");
    expect(reply.answer.citations[0]?.id).toBe("faq-doctorants");
  });

  it("answers a message delivered twice only once", async () => {
    const first = message("Qui peut contacter ENSO ?");
    expect(await engine.handle(first)).toBeDefined();
    expect(await engine.handle({ ...first })).toBeUndefined();
    expect(turns()).toHaveLength(1);
  });

  it("answers the same message id on another platform", async () => {
    const first = message("Qui peut contacter ENSO ?");
    await engine.handle(first);
    expect(await engine.handle({ ...first, platform: "mattermost" })).toBeDefined();
    expect(turns()).toHaveLength(2);
  });

  it.each([
    ["aide", "fr", "Posez-moi une question"],
    ["Bonjour !", "fr", "Bonjour ! Je suis l'assistant ENSO"],
    ["help", "en", "Ask me a question"],
    ["Merci beaucoup", "fr", "Avec plaisir"],
  ])("answers %j with what it does (%s), not with a search that would find nothing", async (text, _language, expected) => {
    const reply = await engine.handle(message(text));
    expect(reply?.kind).toBe("text");
    expect(reply && reply.kind === "text" ? reply.text : "").toContain(expected);
  });

  it("still answers a question that begins with a greeting", async () => {
    const reply = await engine.handle(message("Bonjour, un doctorant peut-il avoir accès à ENSO ?"));
    expect(reply?.kind).toBe("answer");
  });

  it("replies briefly to an empty message", async () => {
    const reply = await engine.handle(message("   "));
    expect(reply?.kind).toBe("answer");
    if (reply?.kind !== "answer") return;
    expect(reply.answer.decision).toBe("escalated");
    expect(reply.answer.text.length).toBeGreaterThan(0);
    expect(reply.answer.text.length).toBeLessThan(400);
  });

  it("logs each turn at info level without the question or the person's name", async () => {
    const question = "Je prépare une enquête sur les vignerons bourguignons avec des entretiens enregistrés : ENSO peut-il m'aider pour le RGPD ?";
    await engine.handle(message(question));
    const turn = turns()[0];
    expect(turn).toMatchObject({ level: 30, platform: "terminal" });
    expect(turn).toHaveProperty("decision");
    const written = JSON.stringify(logs);
    for (const word of ["vignerons", "bourguignons", "entretiens", "enquête", "Camille", "Martin", "user-1"]) expect(written).not.toContain(word);
  });

  it("turns a failure while answering into an apology with the human route, and logs it", async () => {
    const failing = new ConversationEngine({ ask: () => Promise.reject(new Error("index file unreadable")) }, log, { contact });
    const reply = await failing.handle(message("Qui peut contacter ENSO ?"));
    expect(reply).toEqual({ kind: "text", text: expect.stringContaining("enso@univ-paris1.fr") as string });
    expect(reply?.kind === "text" && reply.text).toMatch(/Désolé/);
    expect(logs.some((line) => line.level === 50 && line.msg === "answering failed: the user got an apology")).toBe(true);
  });

  it("tells a user over the rate limit once, in their language, then stays quiet until the bucket refills", async () => {
    let now = 0;
    const limited = new ConversationEngine(assistant, log, { contact, rateLimiter: new RateLimiter({ perMinute: 1, burst: 1 }, () => now) });
    expect((await limited.handle(message("Who can contact ENSO?")))?.kind).toBe("answer");
    expect(await limited.handle(message("Who can contact ENSO?"))).toEqual({ kind: "text", text: expect.stringMatching(/a lot of messages/) as string });
    expect(await limited.handle(message("Who can contact ENSO?"))).toBeUndefined();
    // Another user is not held back by the first.
    expect((await limited.handle(message("Who can contact ENSO?", { userId: "user-2" })))?.kind).toBe("answer");
    now += 60_000;
    expect((await limited.handle(message("Who can contact ENSO?")))?.kind).toBe("answer");
  });
});
