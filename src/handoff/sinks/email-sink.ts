import nodemailer from "nodemailer";
import type { Transporter } from "nodemailer";
import { escapeHtml, followUpText, ticketHtml, ticketSubject, ticketText } from "../render-ticket.js";
import { SinkError, type DeliveryContext, type FollowUp, type TicketSink } from "../ticket-sink.js";
import type { Ticket } from "../ticket.js";

export interface EmailSinkOptions {
  /** smtp://user:password@host:587 or smtps://...:465 (nodemailer's connection URL). */
  readonly smtpUrl: string;
  /** The bot's mailbox. */
  readonly from: string;
  /** The service address that receives tickets (ENSO's mailbox or a helpdesk's). */
  readonly to: string;
}

/** The domain of Message-IDs: the bot's mailbox domain. */
function messageDomain(from: string): string {
  return /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? "enso-assistant.invalid";
}

/**
 * Tickets as email, through nodemailer: From the bot, Reply-To the user (so that answering the mail
 * answers the researcher, and helpdesks file the user as requester), the reference in the subject
 * and in X-ENSO-Ticket. Never Auto-Submitted: helpdesks drop such mail as a robot's. Message-IDs are
 * derived from the reference, so a follow-up threads under the ticket (In-Reply-To, References) and
 * a resend after a crash carries the same id for the receiver to deduplicate.
 */
export class EmailSink implements TicketSink {
  readonly name = "email";
  private readonly transport: Transporter;
  private readonly domain: string;

  constructor(private readonly options: EmailSinkOptions) {
    // Bounded waits (nodemailer's defaults go up to 10 min): a stuck server makes a retry, not a hang.
    const url = new URL(options.smtpUrl);
    this.transport = nodemailer.createTransport({
      host: url.hostname,
      port: Number(url.port) || (url.protocol === "smtps:" ? 465 : 587),
      secure: url.protocol === "smtps:",
      ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 30_000,
    });
    this.domain = messageDomain(options.from);
  }

  private rootId(ticket: Ticket): string {
    return `<${ticket.ref.toLowerCase()}@${this.domain}>`;
  }

  async create(ticket: Ticket): Promise<{ externalId?: string }> {
    const messageId = this.rootId(ticket);
    await this.send({
      subject: ticketSubject(ticket),
      messageId,
      text: ticketText(ticket),
      html: ticketHtml(ticket),
      ticket,
    });
    return { externalId: messageId };
  }

  async followUp(ticket: Ticket, payload: unknown, context: DeliveryContext): Promise<void> {
    const followUp = payload as FollowUp;
    const root = context.externalId ?? this.rootId(ticket);
    const text = followUpText(ticket, followUp);
    await this.send({
      subject: `Re: ${ticketSubject(ticket)}`,
      messageId: `<${context.key.toLowerCase().replace(/[^a-z0-9.-]/g, ".")}@${this.domain}>`,
      inReplyTo: root,
      references: [root],
      text,
      html: `<p>${escapeHtml(text).replaceAll("\n", "<br>")}</p>`,
      ticket,
    });
  }

  private async send(mail: { subject: string; messageId: string; inReplyTo?: string; references?: string[]; text: string; html: string; ticket: Ticket }): Promise<void> {
    try {
      await this.transport.sendMail({
        from: this.options.from,
        to: this.options.to,
        ...(mail.ticket.user.email ? { replyTo: mail.ticket.user.name ? { name: mail.ticket.user.name, address: mail.ticket.user.email } : mail.ticket.user.email } : {}),
        subject: mail.subject,
        messageId: mail.messageId,
        ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo, references: mail.references ?? [] } : {}),
        headers: { "X-ENSO-Ticket": mail.ticket.ref },
        text: mail.text,
        html: mail.html,
      });
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode;
      // 5xx from the server is a refusal (unknown recipient, rejected message); 4xx, timeouts and
      // refused connections pass.
      throw new SinkError(`SMTP: ${(error as Error).message}`, code !== undefined && code >= 500, { cause: error });
    }
  }

  close(): void {
    this.transport.close();
  }
}
