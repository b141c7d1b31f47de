import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmailSink } from "../../src/handoff/sinks/email-sink.js";
import { GlpiSink } from "../../src/handoff/sinks/glpi-sink.js";
import { RtSink } from "../../src/handoff/sinks/rt-sink.js";
import { WebhookSink, webhookSignature } from "../../src/handoff/sinks/webhook-sink.js";
import { SinkError, type FollowUp } from "../../src/handoff/ticket-sink.js";
import { FakeGlpiServer } from "../support/fake-glpi-server.js";
import { RequestTracker, requestTrackerMissing } from "../support/request-tracker.js";
import { sampleTicket } from "../support/sample-ticket.js";
import { SmtpCapture } from "../support/smtp-capture.js";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const followUp: FollowUp = { kind: "user_message", author: "Alice Martin", text: "J'ajoute : le corpus fait 40 Go.", at: "2026-11-23T15:00:00.000Z" };

describe("the email sink, against a real SMTP server", () => {
  let smtp: SmtpCapture;
  beforeAll(async () => {
    smtp = await new SmtpCapture().start();
  });
  afterAll(() => smtp.stop());

  it("sends the ticket from the bot's mailbox to the service, Reply-To the user, with the reference in the subject and X-ENSO-Ticket, and no Auto-Submitted", async () => {
    const sink = new EmailSink({ smtpUrl: smtp.url, from: "Assistant ENSO <enso-bot@univ-paris1.fr>", to: "enso@univ-paris1.fr" });
    const ticket = sampleTicket({ question: "Suite à [support #123] et Ticket#2026112310000012 : puis-je déposer mes données d'enquête <sensibles> sur Nakala ?" });
    const { externalId } = await sink.create(ticket);
    const mail = smtp.mails.at(-1);
    expect(mail?.envelope).toEqual({ from: "enso-bot@univ-paris1.fr", to: ["enso@univ-paris1.fr"] });
    const parsed = mail?.parsed;
    expect(parsed?.from?.value[0]?.address).toBe("enso-bot@univ-paris1.fr");
    expect(parsed?.replyTo?.value[0]).toMatchObject({ address: "alice.martin@univ-paris1.fr", name: "Alice Martin" });
    expect(parsed?.subject).toContain(ticket.ref);
    // Neither RT's "[x #123]" nor OTRS's "Ticket#123" survives into the subject.
    expect(parsed?.subject).toContain("(support n° 123)");
    expect(parsed?.subject).not.toMatch(/\[[^\]]*#\s*\d+\]/);
    expect(parsed?.subject).not.toMatch(/#\s*\d/);
    expect(parsed?.headers.get("x-enso-ticket")).toBe(ticket.ref);
    expect(parsed?.headers.has("auto-submitted")).toBe(false);
    expect(parsed?.messageId).toBe(externalId);
    // The text and HTML bodies both carry the question, the reason, the user, the sources and the transcript.
    for (const body of [parsed?.text ?? "", parsed?.html || ""]) {
      expect(body).toContain("Nakala");
      expect(body).toContain("pas de réponse sûre");
      expect(body).toContain("alice.martin@univ-paris1.fr");
      expect(body).toContain("Déposer sur Nakala");
      expect(body).toContain("qui peut contacter ENSO");
    }
    // The user's text is escaped in the HTML, never markup.
    expect(parsed?.html).toContain("&lt;sensibles&gt;");
    sink.close();
  });

  it("threads a follow-up under the ticket with In-Reply-To and References", async () => {
    const sink = new EmailSink({ smtpUrl: smtp.url, from: "enso-bot@univ-paris1.fr", to: "enso@univ-paris1.fr" });
    const ticket = sampleTicket();
    const { externalId } = await sink.create(ticket);
    await sink.followUp(ticket, followUp, { key: `${ticket.ref}.email.m1`, ...(externalId ? { externalId } : {}) });
    const reply = smtp.mails.at(-1)?.parsed;
    expect(reply?.inReplyTo).toBe(externalId);
    expect(reply?.references).toEqual(externalId);
    expect(reply?.subject).toBe(`Re: ${smtp.mails.at(-2)?.parsed.subject}`);
    expect(reply?.text).toContain("le corpus fait 40 Go");
    sink.close();
  });

  it("says a refused message is permanent, and a server that does not answer is worth retrying", async () => {
    smtp.refuse = true;
    const sink = new EmailSink({ smtpUrl: smtp.url, from: "enso-bot@univ-paris1.fr", to: "enso@univ-paris1.fr" });
    const refused = await sink.create(sampleTicket()).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SinkError);
    expect((refused as SinkError).permanent).toBe(true);
    smtp.refuse = false;
    const closed = new EmailSink({ smtpUrl: "smtp://127.0.0.1:9", from: "enso-bot@univ-paris1.fr", to: "enso@univ-paris1.fr" });
    const unreachable = await closed.create(sampleTicket()).catch((error: unknown) => error);
    expect((unreachable as SinkError).permanent).toBe(false);
    sink.close();
    closed.close();
  });
});

const rtMissing = requestTrackerMissing();
if (rtMissing) console.warn(`SKIPPED: the Request Tracker tests: ${rtMissing}`);

describe.skipIf(rtMissing !== undefined)("the Request Tracker sink, against a real RT 5", () => {
  let rt: RequestTracker;
  beforeAll(async () => {
    rt = await new RequestTracker().start();
  }, 120_000);
  afterAll(() => rt?.stop());

  it("creates the ticket with the user as requester, adds a follow-up as a comment, and finds the ticket instead of creating it twice", async () => {
    const sink = new RtSink({ url: rt.url, token: rt.token, queue: "General" });
    const ticket = sampleTicket();
    const { externalId } = await sink.create(ticket);
    expect(externalId).toMatch(/^\d+$/);
    const created = (await rt.get(`/ticket/${externalId}`)) as { Subject: string; Queue: { id: string }; Requestor: { id: string }[] };
    expect(created.Subject).toContain(ticket.ref);
    expect(created.Requestor.map((r) => r.id)).toContain("alice.martin@univ-paris1.fr");

    // A create retried after a crash finds the ticket it made.
    expect(await sink.create(ticket)).toEqual({ externalId });

    await sink.followUp(ticket, followUp, { key: "k1", ...(externalId ? { externalId } : {}) });
    const history = (await rt.get(`/ticket/${externalId}/history?fields=Type,Content&per_page=50`)) as { items: { Type?: string }[] };
    expect(history.items.map((item) => item.Type)).toContain("Comment");
    const search = (await rt.get(`/tickets?query=${encodeURIComponent(`Subject LIKE '${ticket.ref}'`)}`)) as { count: number };
    expect(search.count).toBe(1);
  });

  it("calls a wrong token a permanent error", async () => {
    const sink = new RtSink({ url: rt.url, token: "1-99-0000000000000000", queue: "General" });
    const error = await sink.create(sampleTicket()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SinkError);
    expect((error as SinkError).permanent).toBe(true);
    expect((error as SinkError).message).toContain("401");
  });
});

describe("the GLPI sink, against GLPI's documented legacy REST API", () => {
  let glpi: FakeGlpiServer;
  beforeAll(async () => {
    glpi = await new FakeGlpiServer("app-token-0123456789", "user-token-0123456789").start();
  });
  afterAll(() => glpi.stop());

  it("opens a session, creates the ticket with the requester by email, adds a private follow-up, and closes every session", async () => {
    const sink = new GlpiSink({ url: glpi.url, appToken: glpi.appToken, userToken: glpi.userToken });
    const ticket = sampleTicket();
    const { externalId } = await sink.create(ticket);
    const stored = glpi.tickets.find((t) => String(t.id) === externalId);
    expect(stored?.name).toContain(ticket.ref);
    expect(stored?.input).toMatchObject({ _users_id_requester: 0, _users_id_requester_notif: { use_notification: 1, alternative_email: ["alice.martin@univ-paris1.fr"] } });
    expect(stored?.content).toContain("Nakala");
    await sink.followUp(ticket, followUp, { key: "k", ...(externalId ? { externalId } : {}) });
    expect(stored?.followups).toEqual([expect.objectContaining({ is_private: 1, content: expect.stringContaining("40 Go") as string })]);
    expect(await sink.create(ticket)).toEqual({ externalId });
    expect(glpi.tickets.filter((t) => t.name.includes(ticket.ref))).toHaveLength(1);
    expect(glpi.killed).toBe(glpi.opened);
  });

  it("calls a wrong token permanent and an unavailable GLPI transient", async () => {
    const wrong = new GlpiSink({ url: glpi.url, appToken: glpi.appToken, userToken: "not-the-user-token" });
    const refused = (await wrong.create(sampleTicket()).catch((e: unknown) => e)) as SinkError;
    expect(refused.permanent).toBe(true);
    expect(refused.message).toContain("HTTP 401");
    expect(refused.detail).toContain("ERROR_GLPI_LOGIN_USER_TOKEN");
    glpi.down = true;
    const sink = new GlpiSink({ url: glpi.url, appToken: glpi.appToken, userToken: glpi.userToken });
    const down = (await sink.create(sampleTicket()).catch((e: unknown) => e)) as SinkError;
    glpi.down = false;
    expect(down.permanent).toBe(false);
  });
});

describe("the webhook sink", () => {
  it("posts the ticket as JSON signed with HMAC-SHA256 over timestamp and body, with the same idempotency key on every retry", async () => {
    const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
    const server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      request.on("end", () => {
        received.push({ headers: request.headers, body });
        response.writeHead(received.length === 1 ? 502 : 200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/enso`;
    const sink = new WebhookSink({ url, secret: "a-shared-secret-of-32-characters" });
    const ticket = sampleTicket();
    const first = (await sink.create(ticket, { key: `${ticket.ref}.webhook.create` }).catch((e: unknown) => e)) as SinkError;
    expect(first.permanent).toBe(false);
    await sink.create(ticket, { key: `${ticket.ref}.webhook.create` });
    server.close();
    expect(received).toHaveLength(2);
    expect(received[0]?.headers["idempotency-key"]).toBe(received[1]?.headers["idempotency-key"]);
    const last = received[1];
    const timestamp = String(last?.headers["x-enso-timestamp"]);
    expect(last?.headers["x-enso-signature"]).toBe(webhookSignature("a-shared-secret-of-32-characters", timestamp, last?.body ?? ""));
    expect(last?.headers["x-enso-signature"]).not.toBe(webhookSignature("another-secret-of-32-characters!", timestamp, last?.body ?? ""));
    const payload = JSON.parse(last?.body ?? "{}") as { event: string; ticket: { ref: string; question: string } };
    expect(payload.event).toBe("ticket.created");
    expect(payload.ticket.ref).toBe(ticket.ref);
    expect(payload.ticket.question).toContain("Nakala");
  });
});
