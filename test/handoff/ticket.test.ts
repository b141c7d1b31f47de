import { describe, expect, it } from "vitest";
import { parseStaffHours, withinStaffHours } from "../../src/handoff/staff-hours.js";
import { newTicketReference, TICKET_REFERENCE } from "../../src/handoff/ticket.js";
import { ticketSubject } from "../../src/handoff/render-ticket.js";
import { sampleTicket } from "../support/sample-ticket.js";

describe("ticket references", () => {
  it("carry the date and five unambiguous characters, never a helpdesk's [queue #123]", () => {
    // Random, so 2,000 may hold a pair alike (about 6 % of runs): the desk draws again then (handoff-desk.test).
    const refs = new Set(Array.from({ length: 2000 }, () => newTicketReference(new Date("2026-11-23T10:00:00Z"))));
    expect(refs.size).toBeGreaterThan(1990);
    for (const ref of refs) {
      expect(ref).toMatch(TICKET_REFERENCE);
      expect(ref.startsWith("ENSO-20261123-")).toBe(true);
      expect(ref.slice("ENSO-20261123-".length)).not.toMatch(/[ILOU]/);
    }
    // Helpdesks (RT, GLPI, OTRS) take "[anything #123]" in a subject for a reply to their ticket 123.
    // A researcher's text must not file the mail into another ticket either.
    const subject = ticketSubject(sampleTicket({ question: "Voir [RT #123], Ticket#2026112310000012 et [support#45]" }));
    expect(subject).toMatch(/^ENSO-\d{8}-[0-9A-Z]{5} · /);
    expect(subject).not.toMatch(/\[[^\]]*#\s*\d+\]/);
    expect(subject).not.toMatch(/#\s*\d/);
    expect(subject).toContain("(RT n° 123)");
  });
});

describe("staff hours", () => {
  const hours = parseStaffHours("mon-fri 09:00-12:30; mon-thu 14:00-17:30", "Europe/Paris");

  it("say whether staff watch the chat, in the service's time zone", () => {
    expect(withinStaffHours(hours, new Date("2026-11-23T08:30:00Z"))).toBe(true); // Monday 09:30 in Paris
    expect(withinStaffHours(hours, new Date("2026-11-23T07:30:00Z"))).toBe(false); // Monday 08:30
    expect(withinStaffHours(hours, new Date("2026-11-23T12:00:00Z"))).toBe(false); // Monday 13:00, lunch
    expect(withinStaffHours(hours, new Date("2026-11-27T14:00:00Z"))).toBe(false); // Friday 15:00: mornings only
    expect(withinStaffHours(hours, new Date("2026-11-28T09:00:00Z"))).toBe(false); // Saturday
    expect(withinStaffHours(hours, new Date("2026-07-01T07:30:00Z"))).toBe(true); // Wednesday 09:30 in summer time
  });

  it("refuse what they cannot read, saying what is wrong", () => {
    expect(() => parseStaffHours("weekdays 9-5", "Europe/Paris")).toThrow(/not like "mon-fri 09:00-17:30"/);
    expect(() => parseStaffHours("mon-fri 18:00-09:00", "Europe/Paris")).toThrow(/start must come before the end/);
    expect(() => parseStaffHours("mon-fri 09:00-17:00", "Europe/Parsi")).toThrow();
  });
});
