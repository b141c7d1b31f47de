import { afterEach, describe, expect, it } from "vitest";
import type { InboundMessage } from "../../src/bot/inbound-message.js";
import { HandoffDesk, STAFF_SINK } from "../../src/handoff/handoff-desk.js";
import { Outbox } from "../../src/handoff/outbox.js";
import type { TicketSink } from "../../src/handoff/ticket-sink.js";
import { createLogger } from "../../src/logger.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";

const quiet = createLogger({ logLevel: "silent", logFormat: "json" });
const contact = { email: "enso@univ-paris1.fr", requestFormUrl: "https://recherche.pantheonsorbonne.fr" };
/** Named only: the outbox is not started, so what the desk queues stays in the store to be read. */
const named = (name: string): TicketSink => ({ name, create: async () => ({}), followUp: async () => {} });
const stores: SqliteStore[] = [];

function deskWith(sinks: string[], humanIdleMs?: number) {
  const store = new SqliteStore(":memory:");
  stores.push(store);
  const desk = new HandoffDesk(store.tickets, new Outbox(store.tickets, sinks.map(named), quiet), quiet, { site: "univ-paris1", claimTimeoutMs: 15 * 60_000, contact, ...(humanIdleMs ? { humanIdleMs } : {}) });
  return { store, desk };
}

function message(text: string, userId = "alice", extra: Partial<InboundMessage> = {}): InboundMessage {
  return { platform: "mattermost", conversationId: "town", threadId: "root-1", messageId: `m-${Math.random()}`, userId, userName: userId, text, isDirect: false, mentionsBot: true, receivedAt: new Date(), ...extra };
}

const escalate = (desk: HandoffDesk, text = "Je veux parler à quelqu'un", userId = "alice") => desk.escalate({ message: message(text, userId), answer: { language: "fr" }, reason: "user_request", history: [] });
const conversation = { platform: "mattermost", conversationId: "town", threadId: "root-1" };

afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

describe("the handoff desk", () => {
  it("draws another reference when the one drawn is already taken", () => {
    const store = new SqliteStore(":memory:");
    stores.push(store);
    const drawn = ["ENSO-20261123-AAAAA", "ENSO-20261123-AAAAA", "ENSO-20261123-BBBBB"];
    const desk = new HandoffDesk(store.tickets, new Outbox(store.tickets, [named(STAFF_SINK)], quiet), quiet, { site: "univ-paris1", claimTimeoutMs: 60_000, contact, newReference: () => drawn.shift() ?? "ENSO-20261123-ZZZZZ" });
    const first = desk.escalate({ message: message("Je veux parler à quelqu'un", "alice", { conversationId: "c1" }), answer: { language: "fr" }, reason: "user_request", history: [] });
    const second = desk.escalate({ message: message("Moi aussi", "bob", { conversationId: "c2" }), answer: { language: "fr" }, reason: "user_request", history: [] });
    expect([first.ticket.ref, second.ticket.ref]).toEqual(["ENSO-20261123-AAAAA", "ENSO-20261123-BBBBB"]);
    expect(store.tickets.get("ENSO-20261123-BBBBB")?.user.id).toBe("bob");
  });

  it("gives a conversation back to the bot when the person holding it has been silent for the idle time", () => {
    const { desk } = deskWith([STAFF_SINK, "chat:mattermost"], 60_000);
    const { ticket } = escalate(desk);
    expect(desk.claim(ticket.ref, { id: "marie", name: "Marie" }).ok).toBe(true);
    expect(desk.sweep(new Date(Date.now() + 30_000))).toBe(0);
    expect(desk.hold(conversation).state).toBe("human");
    expect(desk.sweep(new Date(Date.now() + 120_000))).toBe(1);
    expect(desk.hold(conversation)).toEqual({ state: "bot" });
  });

  it("releases every held conversation when no staff channel is configured any more", () => {
    const first = deskWith([STAFF_SINK, "chat:mattermost"]);
    const { ticket } = escalate(first.desk);
    first.desk.claim(ticket.ref, { id: "marie", name: "Marie" });
    // The same database, the staff channel gone from the configuration.
    const desk = new HandoffDesk(first.store.tickets, new Outbox(first.store.tickets, [named("chat:mattermost")], quiet), quiet, { site: "univ-paris1", claimTimeoutMs: 60_000, contact });
    expect(desk.sweep()).toBe(1);
    expect(desk.hold(conversation)).toEqual({ state: "bot" });
  });

  it("refuses to claim an old ticket while the conversation waits for staff on a newer one", () => {
    const { desk } = deskWith([STAFF_SINK, "chat:mattermost"]);
    const old = escalate(desk).ticket;
    desk.sweep(new Date(Date.now() + 16 * 60_000)); // nobody claimed: back to the bot
    const recent = escalate(desk, "Une autre question pour l'équipe").ticket;
    const result = desk.claim(old.ref, { id: "marie", name: "Marie" });
    expect(result).toEqual({ ok: false, message: expect.stringContaining(recent.ref) as string });
    expect(desk.hold(conversation)).toEqual({ state: "waiting_human", ticketRef: recent.ref });
  });

  it("sends the helpdesks only the requester's own messages while a ticket waits", () => {
    const { store, desk } = deskWith([STAFF_SINK, "chat:mattermost", "email"]);
    const { ticket } = escalate(desk);
    const hold = desk.hold(conversation);
    desk.userMessage(message("Voici une précision", "alice"), hold);
    desk.userMessage(message("Moi aussi j'ai une question", "bob"), hold);
    const followUps = store.tickets.deliveries(ticket.ref).filter((d) => d.kind === "follow_up");
    expect(followUps.filter((d) => d.sink === "email")).toHaveLength(1);
    expect(followUps.filter((d) => d.sink === STAFF_SINK)).toHaveLength(2);
  });
});
