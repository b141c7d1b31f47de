import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface GlpiTicket {
  readonly id: number;
  readonly name: string;
  readonly content: string;
  readonly input: Record<string, unknown>;
  readonly followups: { id: number; content: string; is_private: number }[];
}

/**
 * GLPI's legacy REST API (apirest.php) as its documentation describes it: initSession with
 * `Authorization: user_token ...` and App-Token, Session-Token on every call, errors as
 * ["ERROR_CODE", "message"] with 400/401, killSession. Tickets and follow-ups are kept in memory.
 */
export class FakeGlpiServer {
  readonly tickets: GlpiTicket[] = [];
  readonly sessions = new Set<string>();
  /** Sessions opened and killed, to check none is left open. */
  opened = 0;
  killed = 0;
  /** initSession calls, refused ones included. */
  initSessions = 0;
  /** Answer every call with 503 (a GLPI being upgraded). */
  down = false;
  /** Hold the answer to POST /Ticket this long after creating it (a slow GLPI, or a crash meanwhile). */
  createDelayMs = 0;
  private readonly http: Server;
  url = "";

  constructor(
    readonly appToken: string,
    readonly userToken: string,
  ) {
    this.http = createServer((request, response) => void this.serve(request, response));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.http.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}/apirest.php`;
    return this;
  }

  async stop(): Promise<void> {
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      if (response.destroyed) return;
      const text = JSON.stringify(body);
      response.writeHead(status, { "Content-Type": "application/json; charset=UTF-8" });
      response.end(text);
    };
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (this.down) return send(503, ["ERROR", "Service unavailable"]);
    const url = new URL(request.url ?? "/", "http://x");
    const path = url.pathname.replace(/^\/apirest\.php/, "");
    if (request.headers["app-token"] !== this.appToken) return send(400, ["ERROR_WRONG_APP_TOKEN_PARAMETER", "parameter app_token seems wrong"]);
    if (path === "/initSession") {
      this.initSessions++;
      if (request.headers.authorization !== `user_token ${this.userToken}`) return send(401, ["ERROR_GLPI_LOGIN_USER_TOKEN", "parameter user_token seems invalid"]);
      const token = randomBytes(12).toString("hex");
      this.sessions.add(token);
      this.opened++;
      return send(200, { session_token: token });
    }
    const session = String(request.headers["session-token"] ?? "");
    if (!this.sessions.has(session)) return send(401, ["ERROR_SESSION_TOKEN_INVALID", "session_token seems invalid"]);
    let body: { input?: Record<string, unknown> } = {};
    try {
      body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof body) : {};
    } catch {
      return send(400, ["ERROR_JSON_PAYLOAD_INVALID", "JSON payload seems not valid"]);
    }
    if (path === "/killSession" && request.method === "GET") {
      this.sessions.delete(session);
      this.killed++;
      return send(200, []);
    }
    if (path === "/Ticket" && request.method === "GET") {
      const wanted = url.searchParams.get("searchText[name]") ?? "";
      return send(200, this.tickets.filter((t) => t.name.includes(wanted)).map((t) => ({ id: t.id, name: t.name })));
    }
    if (path === "/Ticket" && request.method === "POST") {
      const input = body.input;
      if (!input || typeof input.name !== "string") return send(400, ["ERROR_BAD_ARRAY", "input parameter must be an array of objects"]);
      const ticket: GlpiTicket = { id: this.tickets.length + 1, name: input.name, content: String(input.content ?? ""), input, followups: [] };
      this.tickets.push(ticket);
      if (this.createDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.createDelayMs));
      return send(201, { id: ticket.id, message: `Item successfully added: ${ticket.name}` });
    }
    if (path === "/ITILFollowup" && request.method === "POST") {
      const input = body.input ?? {};
      const ticket = this.tickets.find((t) => t.id === Number(input.items_id));
      if (input.itemtype !== "Ticket" || !ticket) return send(400, ["ERROR_GLPI_ADD", "You don't have permission to perform this action."]);
      const followup = { id: ticket.followups.length + 1, content: String(input.content ?? ""), is_private: Number(input.is_private ?? 0) };
      ticket.followups.push(followup);
      return send(201, { id: followup.id, message: "Item successfully added" });
    }
    return send(400, ["ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM", "resource not found or not an instance of CommonDBTM"]);
  }
}
