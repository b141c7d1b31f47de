import type mattermost from "@mattermost/client";
import type { Post, PostList } from "@mattermost/types/posts";

type Client = InstanceType<typeof mattermost.Client4>;

/** GET /channels/{id}/posts?since= returns at most this many posts: more means another page. */
const POSTS_PAGE = 1000;
const BEFORE_PAGE = 200;

/**
 * The posts of a channel created or changed since `since`, thread replies included. The server
 * returns at most 1000, the newest first: when a page is full, older ones are read page by page
 * (`?before=`) back to `since`.
 */
export async function readPostsSince(client: Client, channelId: string, since: number): Promise<Post[]> {
  // Without whole threads (skipFetchThreads): a thread's old posts are not news.
  const first = (await client.getPostsSince(channelId, since, false)) as PostList;
  const posts = new Map(Object.values(first.posts ?? {}).filter(isPost).map((post) => [post.id, post]));
  let page = [...posts.values()];
  let more = page.length >= POSTS_PAGE;
  while (more) {
    const oldest = page.reduce((a, b) => (a.create_at <= b.create_at ? a : b));
    if (oldest.create_at <= since) break;
    const before = (await client.getPostsBefore(channelId, oldest.id, 0, BEFORE_PAGE, false)) as PostList;
    page = Object.values(before.posts ?? {}).filter(isPost);
    for (const post of page) if (post.create_at > since) posts.set(post.id, post);
    more = page.length >= BEFORE_PAGE;
  }
  return [...posts.values()];
}

/**
 * Which parts of its replies the bot posted, by question: its replies carry `enso_reply_to` (the
 * question's id), `enso_part` and `enso_parts`. A reply with every part posted answered its question.
 */
export function postedReplyParts(posts: readonly Post[], botId: string): Map<string, { posted: Set<number>; total: number }> {
  const parts = new Map<string, { posted: Set<number>; total: number }>();
  for (const post of posts) {
    const question = post.user_id === botId ? post.props?.enso_reply_to : undefined;
    // A streamed answer's draft, never finished: not a posted part.
    if (typeof question !== "string" || post.props?.enso_draft) continue;
    const entry = parts.get(question) ?? { posted: new Set<number>(), total: Number(post.props?.enso_parts ?? 1) };
    entry.posted.add(Number(post.props?.enso_part ?? 0));
    parts.set(question, entry);
  }
  return parts;
}

/** A post as the REST and WebSocket payloads must carry it; anything else is skipped. */
export function isPost(value: unknown): value is Post {
  const post = value as Post | null;
  return typeof post === "object" && post !== null && typeof post.id === "string" && typeof post.channel_id === "string" && typeof post.user_id === "string" && typeof post.message === "string" && typeof post.create_at === "number";
}
