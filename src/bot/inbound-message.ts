/** One message from any platform, as every channel hands it to the engine. */
export interface InboundMessage {
  readonly platform: "terminal" | "mattermost" | "teams";
  readonly conversationId: string;
  readonly threadId?: string;
  readonly messageId: string;
  readonly userId: string;
  readonly userName: string;
  readonly text: string;
  readonly isDirect: boolean;
  readonly mentionsBot: boolean;
  readonly receivedAt: Date;
  /** The user's profile (email above all) from the platform, asked for only when a ticket is opened. */
  readonly userProfile?: () => Promise<{ readonly email?: string; readonly name?: string }>;
  /** True when the reply is shown once to the user and cannot be followed up (a slash command's). */
  readonly ephemeral?: boolean;
  /** The platform's own payload, for the channel that made this message and nobody else. */
  readonly raw?: unknown;
}
