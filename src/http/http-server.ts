import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";

/** A request as the handlers see it: the raw body (read with a size limit) and its headers. */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly body?: unknown;
}

export type HttpHandler = (request: HttpRequest) => Promise<HttpResponse>;

/** Bodies larger than this are refused (a button click or a slash command is well under 10 KB). */
const MAX_BODY_BYTES = 256 * 1024;

/**
 * The bot's own HTTP server: `GET /healthz` and the routes channels add (Mattermost button clicks
 * and slash command, Teams' /api/messages). Each answer is JSON with exactly
 * `Content-Type: application/json`; a handler that throws gets a 500 and a log line, never a crash.
 */
export class HttpServer {
  private readonly routes = new Map<string, HttpHandler>();
  private server: Server | undefined;

  constructor(
    private readonly log: Logger,
    health: () => Record<string, unknown>,
  ) {
    this.route("GET", "/healthz", async () => ({ status: 200, body: { status: "ok", ...health() } }));
  }

  route(method: string, path: string, handler: HttpHandler): void {
    this.routes.set(`${method} ${path}`, handler);
  }

  async listen(port: number, host: string): Promise<AddressInfo> {
    const server = createServer((request, response) => void this.dispatch(request, response));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address() as AddressInfo;
    this.log.info({ host: address.address, port: address.port }, "HTTP server listening");
    return address;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async dispatch(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const handler = this.routes.get(`${request.method ?? "GET"} ${path}`);
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body ?? {});
      response.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
      response.end(text);
    };
    if (!handler) {
      send(404, { error: "not found" });
      return;
    }
    try {
      const body = await readBody(request);
      if (body === undefined) {
        send(413, { error: "request body too large" });
        return;
      }
      const result = await handler({ method: request.method ?? "GET", path, headers: request.headers, body });
      send(result.status, result.body);
    } catch (error) {
      this.log.error({ err: error, path }, "HTTP handler failed");
      if (!response.headersSent) send(500, { error: "internal error" });
    }
  }
}

/** The body as text, or undefined when it is over the limit (read to its end, so that the 413 reaches the client). */
async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString("utf8");
}
