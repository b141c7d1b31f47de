import type { Post } from "@mattermost/types/posts";
import type mattermost from "@mattermost/client";
import type { Logger } from "pino";
import { neutralizeMentions } from "./neutralize-mentions.js";

type Client = InstanceType<typeof mattermost.Client4>;

/**
 * The post of an answer being written by a model: created at the first text, then updated at most
 * every `everyMs` (Mattermost clients redraw each edit; twice a second reads as live without
 * flooding the server). The final answer then replaces it (see MattermostChannel.send), or it is
 * deleted when a person took the conversation meanwhile. Marked `enso_draft` until then, so a
 * catch-up after a crash does not take it for a posted answer.
 */
export class StreamingDraft {
  private postId: string | undefined;
  private creating: Promise<void> | undefined;
  private chain: Promise<void> = Promise.resolve();
  private latest = "";
  private shown = "";
  private timer: NodeJS.Timeout | undefined;
  private lastPatch = 0;
  private closed = false;

  constructor(
    private readonly client: Client,
    private readonly target: { readonly channelId: string; readonly rootId: string; readonly replyTo: string },
    private readonly options: { readonly everyMs: number; readonly maxChars: number; readonly log: Logger; readonly onFirstText: () => void },
  ) {}

  /** The text so far (the whole answer written until now). */
  update(text: string): void {
    if (this.closed || !text.trim()) return;
    this.latest = text;
    if (!this.creating) {
      this.options.onFirstText();
      this.creating = this.create(text);
      return;
    }
    if (this.timer) return;
    const wait = Math.max(0, this.lastPatch + this.options.everyMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.chain = this.chain.then(() => this.patch());
    }, wait);
  }

  /** Stops updating; resolves with the draft's post id (undefined when none was created). */
  async close(): Promise<string | undefined> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.creating;
    await this.chain;
    return this.postId;
  }

  /** Removes the draft (a person took the conversation, or answering failed). */
  async discard(): Promise<void> {
    const id = await this.close();
    if (id) await this.client.deletePost(id).catch((error: unknown) => this.options.log.warn({ err: error, postId: id }, "a draft answer could not be deleted"));
  }

  private render(text: string): string {
    const body = neutralizeMentions(text);
    return `${body.length > this.options.maxChars - 2 ? body.slice(0, this.options.maxChars - 2) : body} ▍`;
  }

  private async create(text: string): Promise<void> {
    try {
      const post = (await this.client.createPost({
        channel_id: this.target.channelId,
        root_id: this.target.rootId,
        message: this.render(text),
        props: { enso_reply_to: this.target.replyTo, enso_draft: true },
      } as Partial<Post> as Post)) as Post;
      this.postId = post.id;
      this.shown = text;
      this.lastPatch = Date.now();
    } catch (error) {
      // The final answer is posted the usual way: streaming is a nicety.
      this.options.log.warn({ err: error }, "the streamed draft could not be posted");
    }
  }

  private async patch(): Promise<void> {
    if (this.closed || !this.postId || this.latest === this.shown) return;
    const text = this.latest;
    this.lastPatch = Date.now();
    try {
      await this.client.patchPost({ id: this.postId, message: this.render(text) } as Partial<Post> & { id: string });
      this.shown = text;
    } catch (error) {
      this.options.log.debug({ err: error }, "a streamed update was skipped");
    }
  }
}
