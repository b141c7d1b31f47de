import { userInfo } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import type { Config } from "../config.js";
import { EnsoError } from "../errors.js";
import type { Logger } from "../logger.js";
import { SqliteStore } from "../store/sqlite-store.js";
import { chatSink, HandoffDesk } from "./handoff-desk.js";
import { Outbox } from "./outbox.js";
import { reasonLabels, ticketText } from "./render-ticket.js";
import type { TicketSink } from "./ticket-sink.js";
import { assigneeName, type Ticket, type TicketStatus } from "./ticket.js";

/** A sink that only names where the running assistant delivers: the CLI queues, never sends. */
const queuedOnly = (name: string): TicketSink => ({
  name,
  create: () => Promise.reject(new Error("delivered by the running assistant")),
  followUp: () => Promise.reject(new Error("delivered by the running assistant")),
});

function row(ticket: Ticket): string {
  const who = ticket.status === "claimed" ? assigneeName(ticket.assignee) : "";
  return [ticket.ref, ticket.createdAt.toISOString().slice(0, 16).replace("T", " "), ticket.status.padEnd(8), ticket.reason.padEnd(14), who.padEnd(16), ticket.question.replace(/\s+/g, " ").slice(0, 60)].join("  ");
}

/** `enso tickets list | show REF | close REF`: the tickets in the data directory's database. */
export function registerTicketsCommand(program: Command, context: () => { config: Config; log: Logger }): void {
  const tickets = program.command("tickets").description("list, show and close the tickets the assistant opened");
  const withStore = <T>(work: (store: SqliteStore, config: Config, log: Logger) => T): T => {
    const { config, log } = context();
    const store = new SqliteStore(join(config.dataDir, "enso.sqlite"));
    try {
      return work(store, config, log);
    } finally {
      store.close();
    }
  };
  const find = (store: SqliteStore, ref: string): Ticket => {
    const ticket = store.tickets.get(ref.trim().toUpperCase());
    if (!ticket) throw new EnsoError("input", `No ticket ${ref} in this data directory.`, "Check the reference with `enso tickets list` and ENSO_DATA_DIR.");
    return ticket;
  };

  tickets
    .command("list")
    .description("the latest tickets, newest first")
    .option("--status <status>", "only open, claimed or resolved tickets")
    .option("--limit <n>", "how many", "50")
    .action((options: { status?: string; limit: string }) =>
      withStore((store) => {
        if (options.status && !["open", "claimed", "resolved"].includes(options.status)) throw new EnsoError("input", `--status ${options.status} is not a ticket status.`, "Use open, claimed or resolved.");
        const list = store.tickets.list({ ...(options.status ? { status: options.status as TicketStatus } : {}), limit: Math.max(1, Number(options.limit) || 50) });
        if (list.length === 0) process.stdout.write("No tickets.\n");
        for (const ticket of list) process.stdout.write(`${row(ticket)}\n`);
        const counts = store.tickets.outboxCounts();
        if (counts.failed > 0) process.stdout.write(`\n${counts.failed} delivery(ies) failed: see \`enso tickets show\` on the tickets concerned.\n`);
      }),
    );

  tickets
    .command("show")
    .description("a ticket in full: question, user, sources, transcript, history, deliveries")
    .argument("<ref>", "the ticket's reference, e.g. ENSO-20261123-7K3QX")
    .action((ref: string) =>
      withStore((store) => {
        const ticket = find(store, ref);
        const lines = [ticketText(ticket), "", `Statut : ${ticket.status}${ticket.assignee ? ` (${assigneeName(ticket.assignee)})` : ""} · motif : ${reasonLabels[ticket.reason]}`, "", "Historique :"];
        for (const event of store.tickets.events(ticket.ref)) lines.push(`  ${event.at.toISOString()}  ${event.kind.padEnd(15)} ${assigneeName(event.actor)}${event.detail ? `  ${event.detail.replace(/\s+/g, " ").slice(0, 120)}` : ""}`);
        lines.push("", "Transmissions :");
        for (const d of store.tickets.deliveries(ticket.ref)) lines.push(`  ${d.sink.padEnd(16)} ${d.kind.padEnd(9)} ${d.status.padEnd(9)} ${d.attempts} essai(s)${d.lastError ? `  ${d.lastError.slice(0, 160)}` : ""}`);
        process.stdout.write(`${lines.join("\n")}\n`);
      }),
    );

  tickets
    .command("purge")
    .description("delete resolved tickets (question, transcript, addresses, history) older than a number of days")
    .requiredOption("--older-than <days>", "resolved for longer than this many days, e.g. 365")
    .action((options: { olderThan: string }) =>
      withStore((store) => {
        const days = Number(options.olderThan);
        if (!Number.isInteger(days) || days < 1) throw new EnsoError("input", `--older-than ${options.olderThan} is not a number of days.`, "Give a whole number of days, 1 or more, e.g. --older-than 365.");
        const purged = store.tickets.purgeResolved(new Date(Date.now() - days * 86_400_000));
        process.stdout.write(`${purged.tickets} resolved ticket(s) and ${purged.deliveries} delivery record(s) older than ${days} day(s) deleted.\n`);
      }),
    );

  tickets
    .command("close")
    .description("mark a ticket resolved; the running assistant tells the user and the ticket systems")
    .argument("<ref>", "the ticket's reference")
    .option("--by <name>", "who closes it, for the audit trail", userInfo().username)
    .action((ref: string, options: { by: string }) =>
      withStore((store, config, log) => {
        const ticket = find(store, ref);
        // Told: the systems that got this ticket (staff channel included), and the user's chat; not
        // whatever this shell's environment happens to configure.
        const holders = store.tickets.deliveries(ticket.ref).filter((d) => d.kind === "create").map((d) => d.sink);
        const names = [...new Set([...holders, ...(ticket.chatRoute ? [chatSink(ticket.conversation.platform)] : [])])];
        const outbox = new Outbox(store.tickets, names.map(queuedOnly), log);
        const desk = new HandoffDesk(store.tickets, outbox, log, { site: config.handoff.site, claimTimeoutMs: config.handoff.claimTimeoutMs, contact: { email: config.contactEmail, requestFormUrl: config.requestFormUrl } });
        const result = desk.resolve(ticket.ref, { id: "cli", name: options.by });
        if (!result.ok) throw new EnsoError("input", result.message, "Nothing to do.");
        process.stdout.write(`${ticket.ref} resolved. The running assistant tells the user and the ticket systems (${names.join(", ") || "none configured"}).\n`);
      }),
    );
}
