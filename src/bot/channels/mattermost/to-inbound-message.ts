import type { Post } from "@mattermost/types/posts";
import type { InboundMessage } from "../../inbound-message.js";

/** What the channel knows of a Mattermost channel: its type (D direct, G group, O open, P private). */
export interface ChannelInfo {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly teamId: string;
}

export interface BotIdentity {
  readonly id: string;
  readonly username: string;
}

export type Verdict = { readonly answer: InboundMessage } | { readonly ignore: "own" | "bot" | "system" | "deleted" | "not_addressed" };

/**
 * Decides whether a post is a question for the bot and turns it into an InboundMessage: direct and
 * group messages always, other channels when the bot is @mentioned. Its own posts, other bots'
 * (props.from_bot), webhooks' posts, system messages and deleted posts are ignored. `mentions` is the list of user ids
 * the server says the post mentions (the `posted` event has it; catch-up reads the text instead).
 */
export function toInboundMessage(post: Post, channel: ChannelInfo, bot: BotIdentity, userName: string, mentions?: readonly string[]): Verdict {
  if (post.user_id === bot.id) return { ignore: "own" };
  if (post.props?.from_bot === "true" || post.props?.from_bot === true || post.props?.from_webhook === "true") return { ignore: "bot" };
  if (post.type) return { ignore: "system" };
  if (post.delete_at > 0) return { ignore: "deleted" };
  const isDirect = channel.type === "D" || channel.type === "G";
  const mentionPattern = new RegExp(`(^|[^\\w.-])@${bot.username.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w-])`, "giu");
  const mentionsBot = mentions ? mentions.includes(bot.id) : mentionPattern.test(post.message);
  if (!isDirect && !mentionsBot) return { ignore: "not_addressed" };
  const text = post.message.replace(mentionPattern, "$1").replace(/\s+/g, " ").trim();
  return {
    answer: {
      platform: "mattermost",
      conversationId: post.channel_id,
      // In a channel the answer goes in the question's thread; in a direct message, in the thread only
      // when the question was asked in one (a DM is already a conversation of its own).
      ...(post.root_id ? { threadId: post.root_id } : isDirect ? {} : { threadId: post.id }),
      messageId: post.id,
      userId: post.user_id,
      userName,
      text,
      isDirect,
      mentionsBot,
      receivedAt: new Date(post.create_at),
      raw: post,
    },
  };
}
