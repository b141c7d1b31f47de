import type { HandoffConfig } from "../config.js";
import { EmailSink } from "./sinks/email-sink.js";
import { GlpiSink } from "./sinks/glpi-sink.js";
import { RtSink } from "./sinks/rt-sink.js";
import { WebhookSink } from "./sinks/webhook-sink.js";
import type { TicketSink } from "./ticket-sink.js";

/** The ticket systems the configuration names: none, one or several. */
export function createSinks(config: HandoffConfig): TicketSink[] {
  const sinks: TicketSink[] = [];
  if (config.email) sinks.push(new EmailSink(config.email));
  if (config.rt) sinks.push(new RtSink(config.rt));
  if (config.glpi) sinks.push(new GlpiSink(config.glpi));
  if (config.webhook) sinks.push(new WebhookSink(config.webhook));
  return sinks;
}
