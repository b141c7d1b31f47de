import { createInterface } from "node:readline/promises";
import type { ChatChannel, OutboundMessage } from "../../chat-channel.js";
import type { InboundMessage } from "../../inbound-message.js";
import { renderForTerminal } from "./render-for-terminal.js";

/**
 * A conversation in the terminal: each line typed is a question; `/quit` or Ctrl-D ends it.
 * Also what `npm start` opens when no chat platform is configured.
 */
export class TerminalChannel implements ChatChannel {
  readonly name = "terminal" as const;
  private closed = false;

  constructor(
    private readonly input: NodeJS.ReadableStream = process.stdin,
    private readonly output: NodeJS.WritableStream = process.stdout,
  ) {}

  async start(onMessage: (message: InboundMessage) => Promise<OutboundMessage | undefined>): Promise<void> {
    const lines = createInterface({ input: this.input, output: this.output, terminal: (this.input as { isTTY?: boolean }).isTTY === true });
    this.output.write("Assistant ENSO — posez votre question (en français ou en anglais). /quit pour quitter.\n\n");
    let count = 0;
    lines.setPrompt("vous › ");
    lines.prompt();
    for await (const line of lines) {
      if (this.closed || line.trim() === "/quit") break;
      count += 1;
      const reply = await onMessage({
        platform: "terminal",
        conversationId: "terminal",
        messageId: String(count),
        userId: "local",
        userName: "local",
        text: line,
        isDirect: true,
        mentionsBot: true,
        receivedAt: new Date(),
      });
      if (reply) this.output.write(`\n${renderForTerminal(reply)}\n\n`);
      lines.prompt();
    }
    lines.close();
  }

  async stop(): Promise<void> {
    this.closed = true;
  }
}
