/**
 * An in-process Mattermost server for tests and the benchmark: the REST v4 endpoints and the
 * WebSocket protocol the bot uses, with the shapes of the official API reference
 * (mattermost/mattermost, api/v4/source: users.yaml, teams.yaml, channels.yaml, posts.yaml,
 * definitions.yaml; websocket in introduction.yaml). It answers with exactly
 * `Content-Type: application/json`, as the real server does (Client4 parses nothing else).
 *
 * WebSocket: the client authenticates with `authentication_challenge`, then gets `hello` with a
 * connection id. Every event carries a sequence number. A client reconnecting with a known
 * connection id and sequence number gets the events it missed, after a `hello` at that number; an
 * unknown id (after `restart()`) gets a new id from 0, which tells the client to catch up by REST.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

export interface FakeUser {
  readonly id: string;
  readonly username: string;
  readonly isBot: boolean;
  readonly token: string;
}

export interface FakeChannel {
  readonly id: string;
  readonly type: "O" | "P" | "D" | "G";
  readonly name: string;
  readonly display_name: string;
  readonly team_id: string;
  readonly members: Set<string>;
}

export interface FakePost {
  id: string;
  create_at: number;
  update_at: number;
  edit_at: number;
  delete_at: number;
  is_pinned: boolean;
  user_id: string;
  channel_id: string;
  root_id: string;
  original_id: string;
  message: string;
  type: string;
  props: Record<string, unknown>;
  hashtags: string;
  pending_post_id: string;
  reply_count: number;
  metadata: Record<string, unknown>;
}

interface Connection {
  readonly id: string;
  readonly userId: string;
  socket: WebSocket | undefined;
  /** Every event given a sequence number on this connection, for resumption. */
  readonly sent: { seq: number; event: Record<string, unknown> }[];
  nextSeq: number;
}

/** What clients (the bot included) get of a post: buttons without their URL and context, as the real server sends. */
function stripIntegrations(post: FakePost): FakePost {
  const attachments = post.props.attachments as { actions?: Record<string, unknown>[] }[] | undefined;
  if (!Array.isArray(attachments)) return post;
  return { ...post, props: { ...post.props, attachments: attachments.map((a) => ({ ...a, ...(a.actions ? { actions: a.actions.map(({ integration: _integration, ...action }) => action) } : {}) })) } };
}

const newId = () => randomBytes(13).toString("hex").slice(0, 26);

export class FakeMattermostServer {
  readonly users = new Map<string, FakeUser>();
  readonly channels = new Map<string, FakeChannel>();
  readonly posts = new Map<string, FakePost>();
  readonly team = { id: newId(), name: "paris1", display_name: "Paris 1", type: "O" };
  /** `user_typing` actions received, in order. */
  readonly typing: { userId: string; channelId: string; parentId: string; at: number }[] = [];
  /** Time each post was broadcast, and time of the bot's reply to it (props.enso_reply_to). */
  readonly postedAt = new Map<string, number>();
  readonly repliedAt = new Map<string, number>();
  /** REST requests received ("GET /api/v4/..."), for assertions. */
  readonly requests: string[] = [];
  /** WebSocket connections authenticated, and how many of them resumed an earlier connection. */
  connectionsAccepted = 0;
  /** PUT /posts/{id}/patch calls (staff card updates). */
  patches = 0;
  /** DELETE /posts/{id} calls (streamed drafts withdrawn). */
  deletes = 0;
  /** Each patch of a post: its id, message and when (performance.now()), for streaming tests. */
  readonly patchLog: { id: string; message: string; at: number }[] = [];
  resumedConnections = 0;
  private readonly connections = new Map<string, Connection>();
  private readonly replies = new Map<string, FakePost[]>();
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private lastCreateAt = 0;
  private skipNextSeq = false;
  private failPostsLeft = 0;
  private postsBeforeFailing = 0;
  private clockOffset = 0;
  private listeners: (() => void)[] = [];
  url = "";

  constructor() {
    this.http = createServer((request, response) => void this.serve(request, response));
    this.wss = new WebSocketServer({ noServer: true });
    this.http.on("upgrade", (request, socket, head) => {
      if (!request.url?.startsWith("/api/v4/websocket")) return socket.destroy();
      this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, new URL(request.url ?? "", "http://x").searchParams));
    });
  }

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.http.listen(port, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  addUser(username: string, isBot = false): FakeUser {
    const user = { id: newId(), username, isBot, token: randomBytes(16).toString("hex") };
    this.users.set(user.id, user);
    return user;
  }

  addChannel(type: FakeChannel["type"], name: string, members: readonly FakeUser[]): FakeChannel {
    const channel = { id: newId(), type, name, display_name: name, team_id: type === "D" || type === "G" ? "" : this.team.id, members: new Set(members.map((m) => m.id)) };
    this.channels.set(channel.id, channel);
    return channel;
  }

  /** A user posts, as the web app would (REST), and the server broadcasts `posted`. */
  userPosts(user: FakeUser, channel: FakeChannel, message: string, options: { rootId?: string; type?: string; props?: Record<string, unknown> } = {}): FakePost {
    return this.createPost(user, { channel_id: channel.id, message, root_id: options.rootId ?? "", type: options.type ?? "", props: options.props ?? {} });
  }

  /** A user edits a post (the server broadcasts `post_edited`, not `posted`). */
  userEdits(post: FakePost, message: string): void {
    post.message = message;
    post.edit_at = post.update_at = this.now();
    this.broadcast("post_edited", { post: JSON.stringify(post) }, this.channels.get(post.channel_id));
    this.changed();
  }

  /** Removes a member from a channel (the bot loses access to a private channel, for instance). */
  removeMember(channel: FakeChannel, user: FakeUser): void {
    channel.members.delete(user.id);
  }

  /** A `posted` event with any data, as a buggy or future server might send. */
  broadcastRaw(channel: FakeChannel, data: Record<string, unknown>): void {
    this.broadcast("posted", data, channel);
  }

  /** Posts by a user (the bot's replies, for instance), oldest first. */
  postsBy(user: FakeUser, channel?: FakeChannel): FakePost[] {
    return [...this.posts.values()].filter((p) => p.user_id === user.id && (!channel || p.channel_id === channel.id)).sort((a, b) => a.create_at - b.create_at);
  }

  /** The bot's reply posts to a question, in order. */
  repliesTo(postId: string): FakePost[] {
    return [...(this.replies.get(postId) ?? [])];
  }

  /** Network drop: sockets die, the server keeps their connections (a reconnect resumes them). */
  dropConnections(): void {
    for (const connection of this.connections.values()) {
      connection.socket?.terminate();
      connection.socket = undefined;
    }
  }

  /** Server restart: sockets die and every connection is forgotten (new ids, events lost). */
  restart(): void {
    this.dropConnections();
    this.connections.clear();
  }

  /** The next event skips a sequence number, as when the server drops one. */
  skipSequence(): void {
    this.skipNextSeq = true;
  }

  /** The next `count` POST /posts fail with 500. */
  failNextPosts(count: number): void {
    this.failPostsAfter(0, count);
  }

  /** After `successes` more POST /posts succeed, the next `failures` fail with 500. */
  failPostsAfter(successes: number, failures: number): void {
    this.postsBeforeFailing = successes;
    this.failPostsLeft = failures;
  }

  /** Moves the server's clock forward (posts made after this are that much later). */
  clock(ms: number): void {
    this.clockOffset += ms;
  }

  get openSockets(): number {
    return [...this.connections.values()].filter((c) => c.socket).length;
  }

  /** Resolves when `predicate` holds, checked after every change. */
  async waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (predicate()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("FakeMattermostServer.waitFor: timed out")), timeoutMs);
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        resolve();
      };
      this.listeners.push(check);
    });
  }

  /** A click on a button of a post, as Mattermost relays it to the integration's URL. */
  async clickButton(postId: string, actionId: string, user: FakeUser, tamper?: (context: Record<string, unknown>) => Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
    const post = this.posts.get(postId);
    const attachments = (post?.props.attachments ?? []) as { actions?: { id: string; integration: { url: string; context: Record<string, unknown> } }[] }[];
    const action = attachments.flatMap((a) => a.actions ?? []).find((a) => a.id === actionId);
    if (!post || !action) throw new Error(`no button ${actionId} on post ${postId}`);
    const context = tamper ? tamper(action.integration.context) : action.integration.context;
    const response = await fetch(action.integration.url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user_id: user.id, user_name: user.username, channel_id: post.channel_id, team_id: this.team.id, post_id: post.id, trigger_id: newId(), type: "button", data_source: "", context }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    const update = body.update as { message?: string; props?: Record<string, unknown> } | undefined;
    if (response.ok && update) {
      post.message = update.message ?? post.message;
      post.props = { ...(update.props ?? {}), ...(post.props.from_bot ? { from_bot: "true" } : {}) };
      post.edit_at = post.update_at = this.now();
      this.broadcast("post_edited", { post: JSON.stringify(post) }, this.channels.get(post.channel_id));
    }
    return { status: response.status, body };
  }

  /** A slash command, as Mattermost sends it to the command's URL (form-encoded, with its token). */
  async slashCommand(url: string, token: string, user: FakeUser, channel: FakeChannel, text: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const form = new URLSearchParams({ channel_id: channel.id, channel_name: channel.name, command: "/enso", response_url: `${this.url}/hooks/commands/${newId()}`, team_domain: this.team.name, team_id: this.team.id, text, token, trigger_id: newId(), user_id: user.id, user_name: user.username });
    const response = await fetch(url, { method: "POST", headers: { Authorization: `Token ${token}`, "Content-Type": "application/x-www-form-urlencoded" }, body: form });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  private now(): number {
    // Strictly increasing, as create_at orders posts.
    this.lastCreateAt = Math.max(Date.now() + this.clockOffset, this.lastCreateAt + 1);
    return this.lastCreateAt;
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private createPost(user: FakeUser, input: { channel_id: string; message: string; root_id: string; type: string; props: Record<string, unknown>; pending_post_id?: string }): FakePost {
    const at = this.now();
    const post: FakePost = {
      id: newId(),
      create_at: at,
      update_at: at,
      edit_at: 0,
      delete_at: 0,
      is_pinned: false,
      user_id: user.id,
      channel_id: input.channel_id,
      root_id: input.root_id,
      original_id: "",
      message: input.message,
      type: input.type,
      props: user.isBot ? { ...input.props, from_bot: "true" } : input.props,
      hashtags: "",
      pending_post_id: input.pending_post_id ?? "",
      reply_count: 0,
      metadata: {},
    };
    this.posts.set(post.id, post);
    const channel = this.channels.get(post.channel_id);
    const mentions = [...(channel?.members ?? [])].filter((id) => {
      const name = this.users.get(id)?.username;
      return name !== undefined && new RegExp(`(^|\\W)@${name}(\\W|$)`, "i").test(post.message);
    });
    this.postedAt.set(post.id, performance.now());
    const replyTo = post.props.enso_reply_to;
    if (typeof replyTo === "string") {
      if (!this.repliedAt.has(replyTo)) this.repliedAt.set(replyTo, performance.now());
      this.replies.set(replyTo, [...(this.replies.get(replyTo) ?? []), post]);
    }
    this.broadcast(
      "posted",
      {
        channel_display_name: channel?.display_name ?? "",
        channel_name: channel?.name ?? "",
        channel_type: channel?.type ?? "O",
        post: JSON.stringify(post),
        sender_name: `@${user.username}`,
        set_online: true,
        team_id: channel?.team_id ?? "",
        ...(mentions.length > 0 ? { mentions: JSON.stringify(mentions) } : {}),
      },
      channel,
    );
    this.changed();
    return post;
  }

  private broadcast(event: string, data: Record<string, unknown>, channel: FakeChannel | undefined): void {
    for (const connection of this.connections.values()) {
      if (channel && !channel.members.has(connection.userId)) continue;
      this.send(connection, { event, data, broadcast: { omit_users: null, user_id: "", channel_id: channel?.id ?? "", team_id: channel?.team_id ?? "" } });
    }
  }

  /** Gives the event the connection's next sequence number, keeps it for resumption, sends it if connected. */
  private send(connection: Connection, event: Record<string, unknown>): void {
    if (this.skipNextSeq && connection.socket) {
      this.skipNextSeq = false;
      connection.nextSeq++;
    }
    const seq = connection.nextSeq++;
    connection.sent.push({ seq, event });
    if (connection.sent.length > 1000) connection.sent.shift();
    connection.socket?.send(JSON.stringify({ ...event, seq }));
  }

  private accept(ws: WebSocket, query: URLSearchParams): void {
    let connection: Connection | undefined;
    ws.on("message", (raw) => {
      let message: { action?: string; seq?: number; data?: Record<string, unknown> };
      try {
        message = JSON.parse(String(raw)) as typeof message;
      } catch {
        return;
      }
      const reply = (data?: Record<string, unknown>) => ws.send(JSON.stringify({ status: "OK", seq_reply: message.seq, ...(data ? { data } : {}) }));
      if (message.action === "authentication_challenge") {
        const user = [...this.users.values()].find((u) => u.token === message.data?.token);
        if (!user) {
          ws.send(JSON.stringify({ status: "FAIL", seq_reply: message.seq, error: { id: "api.web_socket_router.not_authenticated.app_error", message: "invalid token", status_code: 401 } }));
          ws.close();
          return;
        }
        reply();
        this.connectionsAccepted++;
        connection = this.resume(ws, user, query);
        return;
      }
      if (!connection) return;
      if (message.action === "ping") reply({ text: "pong", version: "11.0.0", server_time: Date.now() });
      else if (message.action === "user_typing") {
        this.typing.push({ userId: connection.userId, channelId: String(message.data?.channel_id ?? ""), parentId: String(message.data?.parent_id ?? ""), at: performance.now() });
        reply();
        this.changed();
      } else reply();
    });
    ws.on("close", () => {
      if (connection?.socket === ws) connection.socket = undefined;
      this.changed();
    });
  }

  private resume(ws: WebSocket, user: FakeUser, query: URLSearchParams): Connection {
    const known = this.connections.get(query.get("connection_id") ?? "");
    const from = Number(query.get("sequence_number") ?? "0");
    if (known && known.userId === user.id && (known.sent[0]?.seq ?? known.nextSeq) <= from) {
      known.socket?.terminate();
      known.socket = ws;
      this.resumedConnections++;
      const missed = known.sent.filter((s) => s.seq >= from).map((s) => s.event);
      known.sent.length = 0;
      known.nextSeq = from;
      this.send(known, { event: "hello", data: { connection_id: known.id, server_version: "11.0.0", server_hostname: "fake" }, broadcast: { omit_users: null, user_id: user.id, channel_id: "", team_id: "" } });
      for (const event of missed) this.send(known, event);
      this.changed();
      return known;
    }
    const connection: Connection = { id: newId(), userId: user.id, socket: ws, sent: [], nextSeq: 0 };
    this.connections.set(connection.id, connection);
    this.send(connection, { event: "hello", data: { connection_id: connection.id, server_version: "11.0.0", server_hostname: "fake" }, broadcast: { omit_users: null, user_id: user.id, channel_id: "", team_id: "" } });
    this.changed();
    return connection;
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://x");
    const method = request.method ?? "GET";
    this.requests.push(`${method} ${url.pathname}`);
    const json = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      response.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
      response.end(text);
    };
    const error = (status: number, message: string) => json(status, { id: "fake.error", message, detailed_error: "", request_id: newId(), status_code: status });
    const auth = request.headers.authorization ?? "";
    const me = [...this.users.values()].find((u) => auth.toLowerCase() === `bearer ${u.token}`);
    if (!me) return error(401, "Invalid or expired session, please login again.");
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>) : {};
    const parts = url.pathname.split("/").filter(Boolean).slice(2); // after api/v4
    const route = `${method} /${parts.map((part, i) => (/^[a-z0-9]{26}$/.test(part) && i > 0 ? ":id" : part)).join("/")}`;
    const user = (u: FakeUser) => ({ id: u.id, username: u.username, is_bot: u.isBot, first_name: "", last_name: "", nickname: "", email: `${u.username}@univ-paris1.fr`, roles: "system_user", locale: "fr", delete_at: 0 });
    const channelJson = (c: FakeChannel) => ({ id: c.id, type: c.type, name: c.name, display_name: c.display_name, team_id: c.team_id, create_at: 0, update_at: 0, delete_at: 0, header: "", purpose: "", last_post_at: 0, total_msg_count: 0, creator_id: "" });
    switch (route) {
      case "GET /users/me":
        return json(200, user(me));
      case "GET /users/:id": {
        const found = this.users.get(parts[1] ?? "");
        return found ? json(200, user(found)) : error(404, "Unable to find the user.");
      }
      case "GET /users/me/teams":
        return json(200, [{ ...this.team, create_at: 0, update_at: 0, delete_at: 0 }]);
      case "GET /users/me/channels":
        return json(200, [...this.channels.values()].filter((c) => c.members.has(me.id)).map(channelJson));
      case "GET /users/me/teams/:id/channels":
        return json(200, [...this.channels.values()].filter((c) => c.members.has(me.id) && (c.team_id === parts[3] || c.team_id === "")).map(channelJson));
      case "GET /channels/:id": {
        const channel = this.channels.get(parts[1] ?? "");
        return channel?.members.has(me.id) ? json(200, channelJson(channel)) : error(404, "Unable to find the channel.");
      }
      case "GET /channels/:id/posts": {
        const channel = this.channels.get(parts[1] ?? "");
        if (!channel?.members.has(me.id)) return error(403, "You do not have the appropriate permissions.");
        const inChannel = [...this.posts.values()].filter((p) => p.channel_id === channel.id).sort((a, b) => b.create_at - a.create_at);
        let posts: FakePost[];
        const before = url.searchParams.get("before");
        if (before) {
          // ?before=<post id>&page=&per_page=: the posts created before that one, newest first.
          const pivot = this.posts.get(before);
          const perPage = Number(url.searchParams.get("per_page") ?? "60");
          posts = inChannel.filter((p) => pivot !== undefined && p.create_at < pivot.create_at).slice(0, perPage);
        } else {
          // ?since=<ms>: posts changed after that time, at most 1000, newest first (as the real store).
          const since = Number(url.searchParams.get("since") ?? "0");
          posts = inChannel.filter((p) => p.update_at > since).slice(0, 1000);
        }
        return json(200, { order: posts.map((p) => p.id), posts: Object.fromEntries(posts.map((p) => [p.id, stripIntegrations(p)])), next_post_id: "", prev_post_id: "", first_inaccessible_post_time: 0 });
      }
      case "POST /posts": {
        const channel = this.channels.get(String(body.channel_id ?? ""));
        if (!channel?.members.has(me.id)) return error(403, "You do not have the appropriate permissions.");
        if (this.postsBeforeFailing > 0) this.postsBeforeFailing--;
        else if (this.failPostsLeft > 0) {
          this.failPostsLeft--;
          return error(500, "We encountered an error creating the post.");
        }
        const post = this.createPost(me, { channel_id: channel.id, message: String(body.message ?? ""), root_id: String(body.root_id ?? ""), type: "", props: (body.props ?? {}) as Record<string, unknown>, pending_post_id: String(body.pending_post_id ?? "") });
        return json(201, post);
      }
      case "GET /channels/:id/members/:id": {
        const channel = this.channels.get(parts[1] ?? "");
        if (!channel?.members.has(me.id)) return error(403, "You do not have the appropriate permissions.");
        return channel.members.has(parts[3] ?? "") ? json(200, { channel_id: channel.id, user_id: parts[3], roles: "channel_user", last_viewed_at: 0, msg_count: 0, mention_count: 0 }) : error(404, "No channel member found for that user ID and channel ID.");
      }
      default:
        if (method === "GET" && parts[0] === "teams" && parts[1] === "name" && parts[3] === "channels" && parts[4] === "name") {
          const channel = [...this.channels.values()].find((c) => c.name === parts[5] && parts[2] === this.team.name);
          return channel?.members.has(me.id) ? json(200, channelJson(channel)) : error(404, "Unable to find the channel.");
        }
        if (method === "DELETE" && parts[0] === "posts" && parts.length === 2) {
          const post = this.posts.get(parts[1] ?? "");
          if (!post || post.user_id !== me.id) return error(post ? 403 : 404, "Unable to delete the post.");
          post.delete_at = post.update_at = this.now();
          this.deletes++;
          this.broadcast("post_deleted", { post: JSON.stringify(post) }, this.channels.get(post.channel_id));
          this.changed();
          return json(200, { status: "OK" });
        }
        if (method === "PUT" && parts[0] === "posts" && parts[2] === "patch") {
          const post = this.posts.get(parts[1] ?? "");
          if (!post || post.user_id !== me.id) return error(post ? 403 : 404, "Unable to patch the post.");
          if (typeof body.message === "string") post.message = body.message;
          if (body.props && typeof body.props === "object") post.props = { ...(body.props as Record<string, unknown>), ...(post.props.from_bot ? { from_bot: "true" } : {}) };
          post.edit_at = post.update_at = this.now();
          this.patches++;
          this.patchLog.push({ id: post.id, message: post.message, at: performance.now() });
          this.broadcast("post_edited", { post: JSON.stringify(post) }, this.channels.get(post.channel_id));
          this.changed();
          return json(200, post);
        }
        return error(404, `fake server: no route ${route}`);
      case "GET /posts/:id": {
        const post = this.posts.get(parts[1] ?? "");
        return post ? json(200, stripIntegrations(post)) : error(404, "Unable to find the post.");
      }
    }
  }
}
