import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** An activity as the bot sent it (the Bot Framework Activity JSON). */
export interface SentActivity {
  readonly type: string;
  readonly id?: string;
  readonly text?: string;
  readonly replyToId?: string;
  readonly attachments?: { contentType: string; content: Record<string, unknown> }[];
  readonly entities?: Record<string, unknown>[];
  readonly conversation?: { id: string };
  readonly [key: string]: unknown;
}

/** One call the bot made to the connector. */
export interface ConnectorCall {
  readonly method: "POST" | "PUT" | "DELETE" | "GET";
  /** What the call did: reply (to an activity), send (to a conversation), update, delete, create (a conversation), member. */
  readonly op: "reply" | "send" | "update" | "delete" | "create" | "member";
  readonly conversationId: string;
  /** The activity replied to, updated or deleted. */
  readonly activityId?: string;
  readonly body: Record<string, unknown>;
  readonly headers: IncomingMessage["headers"];
  /** The id the connector gave to what was posted. */
  readonly id?: string;
  /** performance.now() when the call arrived (latency measurements). */
  readonly at: number;
  /** The service URL's region folder the call came through ("emea" for .../emea/v3/...), if any. */
  readonly region?: string;
}

export interface FakeMember {
  readonly id: string;
  readonly name: string;
  readonly email?: string;
  readonly userPrincipalName?: string;
  readonly aadObjectId?: string;
}

/**
 * The Bot Connector service of Teams, as the Bot Framework REST API documents it, in the test
 * process: what the bot sends (replies, proactive messages, card updates, deletions, new channel
 * threads) is recorded, and each call answers as Teams does (`{"id": ...}`; `{"id", "activityId"}`
 * for a new conversation). `failNext` makes calls fail (a connector that is down).
 */
export class FakeBotConnector {
  readonly calls: ConnectorCall[] = [];
  readonly members = new Map<string, FakeMember>();
  private failures: { status: number; remaining: number; when?: (request: { method: string; path: string; body: Record<string, unknown> }) => boolean } | undefined;
  private readonly http: Server;
  private sequence = 0;
  url = "";

  constructor() {
    this.http = createServer((request, response) => void this.serve(request, response));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.http.listen(0, "127.0.0.1", resolve));
    // The service URL Teams puts in every activity ends with a slash.
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}/`;
    return this;
  }

  async stop(): Promise<void> {
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  /** The next `count` calls (those `when` picks, if given) answer with this HTTP status. */
  failNext(count: number, status = 503, when?: (request: { method: string; path: string; body: Record<string, unknown> }) => boolean): void {
    this.failures = { status, remaining: count, ...(when ? { when } : {}) };
  }

  /** Posts (replies and sends) in a conversation, typing indicators left out unless asked for. */
  posted(conversationId?: string, options: { typing?: boolean } = {}): (ConnectorCall & { activity: SentActivity })[] {
    return this.calls
      .filter((call) => (call.op === "reply" || call.op === "send") && (conversationId === undefined || call.conversationId === conversationId))
      .map((call) => ({ ...call, activity: call.body as SentActivity }))
      .filter((call) => options.typing || call.activity.type !== "typing");
  }

  /** The text of every message posted in a conversation, cards' texts included. */
  textsIn(conversationId: string): string[] {
    return this.posted(conversationId).map((call) => activityText(call.activity));
  }

  async waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    const start = Date.now();
    while (!predicate()) {
      if (Date.now() - start > timeoutMs) throw new Error("timed out waiting for the bot");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    // Real service URLs carry a region folder (https://smba.trafficmanager.net/emea/): kept apart.
    const fullPath = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
    const regionMatch = /^\/([a-z]+)(?=\/v3\/)/.exec(fullPath);
    const region = regionMatch?.[1];
    const path = region ? fullPath.slice(region.length + 1) : fullPath;
    const method = (request.method ?? "GET") as ConnectorCall["method"];
    const send = (status: number, payload: unknown) => {
      const out = JSON.stringify(payload);
      response.writeHead(status, { "Content-Type": "application/json" });
      response.end(out);
    };
    if (this.failures && this.failures.remaining > 0 && (!this.failures.when || this.failures.when({ method, path, body }))) {
      this.failures.remaining--;
      send(this.failures.status, { error: { code: "ServiceError", message: "The connector is down (test)" } });
      return;
    }
    const at = performance.now();
    const where = region ? { region } : {};
    const newId = () => `${Date.now()}${String(++this.sequence).padStart(4, "0")}`;
    let match: RegExpMatchArray | null;
    if (method === "POST" && path === "/v3/conversations") {
      const id = newId();
      const channel = ((body.channelData as { channel?: { id?: string } } | undefined)?.channel?.id) ?? `a:${randomUUID()}`;
      const conversationId = (body.channelData as { channel?: unknown } | undefined)?.channel ? `${channel};messageid=${id}` : channel;
      this.calls.push({ method, op: "create", conversationId, body, headers: request.headers, id, at, ...where });
      send(201, { id: conversationId, activityId: id });
      return;
    }
    if ((match = path.match(/^\/v3\/conversations\/(.+)\/members\/([^/]+)$/)) && method === "GET") {
      const [, conversationId = "", userId = ""] = match;
      this.calls.push({ method, op: "member", conversationId, activityId: userId, body, headers: request.headers, at, ...where });
      const member = this.members.get(userId);
      if (member) send(200, member);
      else send(404, { error: { code: "MemberNotFoundInConversation", message: "The member was not found" } });
      return;
    }
    if ((match = path.match(/^\/v3\/conversations\/(.+)\/activities(?:\/([^/]+))?$/))) {
      const [, conversationId = "", activityId] = match;
      if (method === "POST") {
        const id = newId();
        this.calls.push({ method, op: activityId ? "reply" : "send", conversationId, ...(activityId ? { activityId } : {}), body, headers: request.headers, id, at, ...where });
        send(200, { id });
        return;
      }
      if (method === "PUT" && activityId) {
        this.calls.push({ method, op: "update", conversationId, activityId, body, headers: request.headers, id: activityId, at, ...where });
        send(200, { id: activityId });
        return;
      }
      if (method === "DELETE" && activityId) {
        this.calls.push({ method, op: "delete", conversationId, activityId, body, headers: request.headers, at, ...where });
        send(200, {});
        return;
      }
    }
    send(404, { error: { code: "NotFound", message: `${method} ${path}` } });
  }
}

/** The visible text of an activity: its text and the TextBlocks and facts of its Adaptive Cards. */
export function activityText(activity: SentActivity): string {
  const blocks: string[] = activity.text ? [activity.text] : [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object") {
      const element = node as Record<string, unknown>;
      if (element.type === "TextBlock" && typeof element.text === "string") blocks.push(element.text);
      if (element.type === "FactSet") for (const fact of (element.facts ?? []) as { title: string; value: string }[]) blocks.push(`${fact.title} : ${fact.value}`);
      for (const value of Object.values(element)) if (typeof value === "object") walk(value);
    }
  };
  for (const attachment of activity.attachments ?? []) walk(attachment.content);
  return blocks.join("\n");
}

/** The buttons of an activity's Adaptive Cards: their title and data. */
export function cardButtons(activity: SentActivity | undefined): { title: string; data: Record<string, unknown> }[] {
  const found: { title: string; data: Record<string, unknown> }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object") {
      const element = node as Record<string, unknown>;
      if (element.type === "Action.Submit" && typeof element.title === "string") found.push({ title: element.title, data: (element.data ?? {}) as Record<string, unknown> });
      for (const value of Object.values(element)) if (typeof value === "object") walk(value);
    }
  };
  for (const attachment of activity?.attachments ?? []) walk(attachment.content);
  return found;
}
