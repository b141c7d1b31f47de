import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HandoffDesk, STAFF_SINK } from "../../src/handoff/handoff-desk.js";
import { Outbox, type OutboxSettings } from "../../src/handoff/outbox.js";
import { EmailSink } from "../../src/handoff/sinks/email-sink.js";
import { GlpiSink } from "../../src/handoff/sinks/glpi-sink.js";
import type { DeliveryContext, TicketSink } from "../../src/handoff/ticket-sink.js";
import type { Ticket } from "../../src/handoff/ticket.js";
import { createLogger } from "../../src/logger.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { FakeGlpiServer } from "../support/fake-glpi-server.js";
import { sampleTicket } from "../support/sample-ticket.js";
import { SmtpCapture } from "../support/smtp-capture.js";

const quiet = createLogger({ logLevel: process.env.OUTBOX_DEBUG ? "debug" : "silent", logFormat: "json" });
const fast: OutboxSettings = { baseDelayMs: 40, maxDelayMs: 200, maxAttempts: 50, concurrency: 4 };
const contact = { email: "enso@univ-paris1.fr", requestFormUrl: "https://recherche.pantheonsorbonne.fr" };

let dir: string;
let glpi: FakeGlpiServer;
const open: { store: SqliteStore; outbox: Outbox }[] = [];

function newOutbox(path: string, sinks: TicketSink[], settings: OutboxSettings = fast): { store: SqliteStore; outbox: Outbox } {
  const store = new SqliteStore(path);
  const outbox = new Outbox(store.tickets, sinks, quiet, settings);
  open.push({ store, outbox });
  return { store, outbox };
}

async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The staff channel as the outbox sees it: records what staff would read. */
class StaffNotes implements TicketSink {
  readonly name = STAFF_SINK;
  readonly notes: string[] = [];
  async create(ticket: Ticket): Promise<{ externalId?: string }> {
    this.notes.push(`card ${ticket.ref}`);
    return { externalId: `card-${ticket.ref}` };
  }
  async followUp(_ticket: Ticket, payload: unknown, _context: DeliveryContext): Promise<void> {
    const note = payload as { text?: string };
    if (note.text) this.notes.push(note.text);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "enso-outbox-"));
  glpi = await new FakeGlpiServer("app-token-0123456789", "user-token-0123456789").start();
});

afterEach(async () => {
  for (const { store, outbox } of open.splice(0)) {
    await outbox.stop();
    store.close();
  }
});

afterAll(async () => {
  await glpi.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the outbox", () => {
  it("keeps a ticket while the mail server is down and sends it exactly once when it is back", async () => {
    const smtp = await new SmtpCapture().start();
    const port = smtp.port;
    await smtp.stop();
    const email = new EmailSink({ smtpUrl: `smtp://127.0.0.1:${port}`, from: "enso-bot@univ-paris1.fr", to: "enso@univ-paris1.fr" });
    const { store, outbox } = newOutbox(join(dir, "down-up.sqlite"), [email]);
    const ticket = sampleTicket();
    store.tickets.open(ticket, "bot", [{ key: `${ticket.ref}.email.create`, sink: "email", ref: ticket.ref, kind: "create" }]);
    outbox.start();
    await until(() => (store.tickets.due(new Date(Date.now() + 1e9), 10)[0]?.attempts ?? 0) >= 3);
    expect(store.tickets.outboxCounts()).toEqual({ pending: 1, failed: 0 });

    const back = await new SmtpCapture().start(port);
    await until(() => back.mails.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await outbox.idle();
    expect(back.mails.map((mail) => mail.parsed.headers.get("x-enso-ticket"))).toEqual([ticket.ref]);
    expect(store.tickets.outboxCounts()).toEqual({ pending: 0, failed: 0 });
    email.close();
    await back.stop();
  });

  it("delivers once when the bot is killed in the middle of a delivery and restarted", async () => {
    const path = join(dir, "crash.sqlite");
    const setup = new SqliteStore(path);
    const ticket = sampleTicket();
    setup.tickets.open(ticket, "bot", [{ key: `${ticket.ref}.glpi.create`, sink: "glpi", ref: ticket.ref, kind: "create" }]);
    setup.close();
    // GLPI records the ticket but holds its answer: the bot dies before it hears the id.
    glpi.createDelayMs = 5000;
    const child = spawn(process.execPath, [join(import.meta.dirname, "../../dist/test/support/outbox-process.js"), path, glpi.url, glpi.appToken, glpi.userToken], { stdio: "ignore" });
    await until(() => glpi.tickets.some((t) => t.name.includes(ticket.ref)));
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    glpi.createDelayMs = 0;

    const { store, outbox } = newOutbox(path, [new GlpiSink({ url: glpi.url, appToken: glpi.appToken, userToken: glpi.userToken })]);
    outbox.start();
    await until(() => store.tickets.outboxCounts().pending === 0);
    const made = glpi.tickets.filter((t) => t.name.includes(ticket.ref));
    expect(made).toHaveLength(1);
    expect(store.tickets.externalId("glpi", ticket.ref)).toBe(String(made[0]?.id));
  });

  it("sends follow-ups after their ticket, to the ticket the system made", async () => {
    glpi.down = true;
    const { store, outbox } = newOutbox(join(dir, "order.sqlite"), [new GlpiSink({ url: glpi.url, appToken: glpi.appToken, userToken: glpi.userToken })]);
    const ticket = sampleTicket();
    store.tickets.open(ticket, "bot", [{ key: `${ticket.ref}.glpi.create`, sink: "glpi", ref: ticket.ref, kind: "create" }]);
    store.tickets.record(ticket.ref, { at: new Date(), actor: "u", kind: "user_message", detail: "x" }, [
      { key: `${ticket.ref}.glpi.1`, sink: "glpi", ref: ticket.ref, kind: "follow_up", payload: { kind: "user_message", author: "Alice", text: "premier ajout", at: "t" } },
      { key: `${ticket.ref}.glpi.2`, sink: "glpi", ref: ticket.ref, kind: "follow_up", payload: { kind: "user_message", author: "Alice", text: "second ajout", at: "t" } },
    ]);
    outbox.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    glpi.down = false;
    await until(() => store.tickets.outboxCounts().pending === 0);
    const made = glpi.tickets.find((t) => t.name.includes(ticket.ref));
    expect(made?.followups.map((f) => f.content.split("\n\n")[1])).toEqual(["premier ajout", "second ajout"]);
  });

  /** A ticket for the staff channel and a GLPI, with the desk reporting failed deliveries to staff. */
  function openWithStaff(file: string, glpiSink: GlpiSink, settings: OutboxSettings = fast) {
    const staff = new StaffNotes();
    const { store, outbox } = newOutbox(join(dir, file), [staff, glpiSink], settings);
    const desk = new HandoffDesk(store.tickets, outbox, quiet, { site: "univ-paris1", claimTimeoutMs: 60_000, contact });
    outbox.setFailureHandler((item, error) => desk.reportFailure(item, error));
    const ticket = sampleTicket();
    store.tickets.open(ticket, "bot", [
      { key: `${ticket.ref}.staff.create`, sink: "staff", ref: ticket.ref, kind: "create" },
      { key: `${ticket.ref}.glpi.create`, sink: "glpi", ref: ticket.ref, kind: "create" },
    ]);
    outbox.start();
    return { store, staff, ticket, warning: () => staff.notes.find((note) => note.includes("glpi")) };
  }

  it("stops at a permanent error, tells the staff channel, and does not retry", async () => {
    const attemptsBefore = glpi.initSessions;
    const { store, ticket, warning } = openWithStaff("permanent.sqlite", new GlpiSink({ url: glpi.url, appToken: glpi.appToken, userToken: "revoked-user-token" }));
    await until(() => warning() !== undefined);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(warning()).toContain(ticket.ref);
    expect(warning()).toContain("ERROR_GLPI_LOGIN_USER_TOKEN");
    expect(store.tickets.outboxCounts()).toEqual({ pending: 0, failed: 1 });
    expect(store.tickets.events(ticket.ref).map((e) => e.kind)).toContain("delivery_failed");
    // One attempt: the refused session was not asked for again (retries run every 40 ms here).
    expect(glpi.initSessions).toBe(attemptsBefore + 1);
  });

  it("gives up on a system that stays down after the configured attempts, and says so", async () => {
    glpi.down = true;
    const { store, warning } = openWithStaff("attempts.sqlite", new GlpiSink({ url: glpi.url, appToken: glpi.appToken, userToken: glpi.userToken }), { ...fast, maxAttempts: 3 });
    await until(() => warning() !== undefined);
    glpi.down = false;
    expect(warning()).toContain("gave up after 3 attempts");
    expect(store.tickets.outboxCounts().failed).toBe(1);
  });
});
