import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface CapturedMail {
  readonly envelope: { readonly from: string; readonly to: readonly string[] };
  readonly raw: string;
  readonly parsed: ParsedMail;
  /** performance.now() when the message was accepted, for latency figures. */
  readonly at: number;
}

/**
 * A real SMTP server (smtp-server from npm) on 127.0.0.1 that keeps what it receives, parsed by
 * mailparser. `refuse` makes it answer the DATA command with a permanent 550.
 */
export class SmtpCapture {
  readonly mails: CapturedMail[] = [];
  refuse = false;
  private server: SMTPServer | undefined;
  port = 0;

  async start(port = 0): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      // No reverse DNS of the client: this machine has no DNS server to ask.
      disableReverseLookup: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => {
          if (this.refuse) {
            const error = Object.assign(new Error("mailbox unavailable"), { responseCode: 550 });
            callback(error);
            return;
          }
          const raw = Buffer.concat(chunks).toString("utf8");
          const at = performance.now();
          void simpleParser(raw).then((parsed) => {
            const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
            this.mails.push({ envelope: { from, to: session.envelope.rcptTo.map((r) => r.address) }, raw, parsed, at });
            callback();
          }, callback);
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once("error", reject);
      this.server?.listen(port, "127.0.0.1", () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}
