import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { runEnso } from "../support/run-enso.js";
import { sampleTicket } from "../support/sample-ticket.js";

let dataDir: string;

const enso = (args: string[], env: Record<string, string> = {}) => runEnso(args, { ENSO_DATA_DIR: dataDir, ...env });

const waiting = sampleTicket({ question: "Où déposer mes données d'enquête ?" });
const older = sampleTicket({ createdAt: new Date(Date.now() - 3600_000), question: "Qui relit un plan de gestion de données ?", reason: "out_of_scope" });

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), "enso-tickets-cli-"));
  const store = new SqliteStore(join(dataDir, "enso.sqlite"));
  store.tickets.open(older, "bot", []);
  store.tickets.open(waiting, "waiting_human", [{ key: `${waiting.ref}.email.create`, sink: "email", ref: waiting.ref, kind: "create" }], new Date(Date.now() + 60_000));
  store.tickets.retryLater(store.tickets.due(new Date(), 1)[0]?.id ?? 0, new Date(Date.now() + 60_000), "SMTP: connect ECONNREFUSED 127.0.0.1:25");
  store.close();
});

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("enso tickets", () => {
  it("lists tickets newest first with status, reason and question", async () => {
    const { code, stdout } = await enso(["tickets", "list"]);
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toContain(waiting.ref);
    expect(lines[0]).toContain("open");
    expect(lines[0]).toContain("Où déposer mes données");
    expect(lines[1]).toContain(older.ref);
    expect(lines[1]).toContain("out_of_scope");
  });

  it("shows a ticket in full, with its history and where each delivery stands", async () => {
    const { code, stdout } = await enso(["tickets", "show", waiting.ref.toLowerCase()]);
    expect(code).toBe(0);
    expect(stdout).toContain("Où déposer mes données d'enquête ?");
    expect(stdout).toContain("alice.martin@univ-paris1.fr");
    expect(stdout).toContain("Déposer sur Nakala");
    expect(stdout).toMatch(/opened/);
    expect(stdout).toMatch(/email\s+create\s+pending\s+1 essai\(s\)\s+SMTP: connect ECONNREFUSED/);
  });

  it("closes a ticket: resolved in the database, the conversation back with the bot, the user's notice queued for the running assistant", async () => {
    // No Mattermost or mail settings in this shell: who is told comes from the ticket itself.
    const { code, stdout } = await enso(["tickets", "close", waiting.ref, "--by", "Marie Curie"]);
    expect(code).toBe(0);
    expect(stdout).toContain(`${waiting.ref} resolved`);
    const store = new SqliteStore(join(dataDir, "enso.sqlite"));
    expect(store.tickets.get(waiting.ref)?.status).toBe("resolved");
    expect(store.tickets.hold(waiting.conversation)).toEqual({ state: "bot" });
    expect(store.tickets.events(waiting.ref).at(-1)).toMatchObject({ kind: "resolved", actor: "cli|Marie Curie" });
    const queued = store.tickets.deliveries(waiting.ref).filter((d) => d.kind === "follow_up").map((d) => d.sink);
    expect(queued).toEqual(expect.arrayContaining(["chat:mattermost", "email"]));
    store.close();
  });

  it("purges resolved tickets older than the retention, with their history, and keeps the others", async () => {
    const dir = mkdtempSync(join(tmpdir(), "enso-purge-"));
    const old = sampleTicket({ question: "Ancienne question" });
    const recent = sampleTicket({ question: "Question récente" });
    const open = sampleTicket({ question: "Question en cours" });
    const notified = sampleTicket({ question: "Ancienne, mais sa notification attend encore" });
    const store = new SqliteStore(join(dir, "enso.sqlite"));
    for (const t of [old, recent, open, notified]) store.tickets.open(t, "bot", [{ key: `${t.ref}.email.create`, sink: "email", ref: t.ref, kind: "create" }]);
    for (const item of store.tickets.due(new Date(), 10)) store.tickets.delivered(item.id);
    store.tickets.resolve(old.ref, "cli|x", []);
    store.tickets.resolve(notified.ref, "cli|x", [{ key: `${notified.ref}.chat`, sink: "chat:mattermost", ref: notified.ref, kind: "follow_up", payload: { text: "résolu" } }]);
    store.tickets.resolve(recent.ref, "cli|x", []);
    store.close();
    // The old ticket was resolved 400 days ago.
    const raw = new Database(join(dir, "enso.sqlite"));
    for (const ref of [old.ref, notified.ref]) raw.prepare("UPDATE tickets SET updated_at = ? WHERE ref = ?").run(Date.now() - 400 * 86_400_000, ref);
    raw.close();
    const { code, stdout } = await runEnso(["tickets", "purge", "--older-than", "365"], { ENSO_DATA_DIR: dir });
    expect(code).toBe(0);
    expect(stdout).toContain("1 resolved ticket(s) and 1 delivery record(s)");
    const after = new SqliteStore(join(dir, "enso.sqlite"));
    expect(after.tickets.get(old.ref)).toBeUndefined();
    expect(after.tickets.events(old.ref)).toEqual([]);
    expect(after.tickets.deliveries(old.ref)).toEqual([]);
    expect(after.tickets.get(recent.ref)?.status).toBe("resolved");
    expect(after.tickets.get(open.ref)?.status).toBe("open");
    // Kept whole while a delivery waits: its history and its email's id too.
    expect(after.tickets.get(notified.ref)?.status).toBe("resolved");
    expect(after.tickets.deliveries(notified.ref).map((d) => d.status)).toEqual(["delivered", "pending"]);
    expect(after.tickets.events(notified.ref).length).toBeGreaterThan(0);
    after.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("says clearly when a ticket does not exist or is already closed", async () => {
    const missing = await enso(["tickets", "show", "ENSO-20200101-AAAAA"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("No ticket ENSO-20200101-AAAAA");
    const closed = sampleTicket();
    const store = new SqliteStore(join(dataDir, "enso.sqlite"));
    store.tickets.open(closed, "bot", []);
    store.tickets.resolve(closed.ref, "cli|someone", []);
    store.close();
    const again = await enso(["tickets", "close", closed.ref]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("déjà résolue");
  });
});
