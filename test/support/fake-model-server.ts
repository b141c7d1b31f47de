import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A request as the server received it. */
export interface ModelRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: Record<string, unknown>;
  /** performance.now() when the request arrived, its first text was sent, and its reply ended (benchmark). */
  readonly receivedAt: number;
  firstTextAt?: number;
  finishedAt?: number;
}

/**
 * What the next call gets: a text (sent in the protocol's own shape, streamed when the client asked
 * for a stream), an HTTP error, a delay, or a body as is (malformed output).
 */
export type Script = { text: string; delayMs?: number; chunkDelayMs?: number } | { status: number; body?: unknown } | { raw: string; contentType?: string } | { hang: true };

/**
 * One local server speaking the model protocols the assistant uses, as documented:
 * - OpenAI-compatible: POST /v1/chat/completions (JSON, or SSE "data: {chunk}" lines and
 *   "data: [DONE]" when `stream` is true), POST /v1/embeddings;
 * - Ollama: POST /api/chat (one JSON object, or NDJSON lines when streaming), POST /api/embed;
 * - Anthropic: POST /v1/messages (JSON, or SSE events message_start ... message_stop).
 * Each test scripts the replies (`next`); every request is kept for assertions.
 */
export class FakeModelServer {
  readonly requests: ModelRequest[] = [];
  private readonly scripts: Script[] = [];
  /** The reply when nothing is scripted. */
  fallback: Script = { text: "NO_ANSWER" };
  /** Embedding vectors: a function of the text (default: a 16-dimensional bag of characters). */
  embed: (text: string) => number[] = (text) => {
    const v = Array.from({ length: 16 }, () => 0);
    for (const c of text.toLowerCase()) v[c.charCodeAt(0) % 16] = (v[c.charCodeAt(0) % 16] ?? 0) + 1;
    return v;
  };
  private readonly http: Server;
  url = "";

  constructor() {
    this.http = createServer((request, response) => void this.serve(request, response));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.http.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  /** Forgets the requests and the replies not used yet (between tests). */
  reset(): void {
    this.requests.length = 0;
    this.scripts.length = 0;
  }

  /** Queues replies for the next chat calls, in order. */
  next(...scripts: Script[]): this {
    this.scripts.push(...scripts);
    return this;
  }

  get chatRequests(): ModelRequest[] {
    return this.requests.filter((r) => /chat|messages/.test(r.path));
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    let body: Record<string, unknown> = {};
    try {
      body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>) : {};
    } catch {
      response.writeHead(400).end();
      return;
    }
    const path = new URL(request.url ?? "/", "http://x").pathname;
    const record: ModelRequest = { method: request.method ?? "", path, headers: request.headers, body, receivedAt: performance.now() };
    this.requests.push(record);
    response.on("finish", () => (record.finishedAt = performance.now()));
    const json = (status: number, value: unknown) => {
      response.writeHead(status, { "Content-Type": "application/json" });
      response.end(JSON.stringify(value));
    };
    if (path.endsWith("/embeddings")) {
      const input = Array.isArray(body.input) ? (body.input as string[]) : [String(body.input)];
      // encoding_format "base64": little-endian float32, as OpenAI's API and vLLM send it.
      const encode = (vector: number[]) => (body.encoding_format === "base64" ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector);
      return json(200, { object: "list", model: body.model, data: input.map((text, index) => ({ object: "embedding", index, embedding: encode(this.embed(text)) })), usage: { prompt_tokens: 1, total_tokens: 1 } });
    }
    if (path === "/api/embed") {
      const input = Array.isArray(body.input) ? (body.input as string[]) : [String(body.input)];
      return json(200, { model: body.model, embeddings: input.map((text) => this.embed(text)) });
    }
    const script = this.scripts.shift() ?? this.fallback;
    if ("hang" in script) return; // never answers: the client's timeout must end it
    if ("status" in script) return json(script.status, script.body ?? { error: { message: `scripted ${script.status}`, type: "server_error" } });
    if ("raw" in script) {
      response.writeHead(200, { "Content-Type": script.contentType ?? "application/json" });
      response.end(script.raw);
      return;
    }
    if (script.delayMs) await new Promise((resolve) => setTimeout(resolve, script.delayMs));
    const pieces = script.text.match(/\S+\s*|\s+/g) ?? [""];
    const pause = async () => {
      if (record.firstTextAt !== undefined) await new Promise((resolve) => setTimeout(resolve, script.chunkDelayMs ?? 0));
      else record.firstTextAt = performance.now();
    };
    const stream = body.stream === true;
    if (path.endsWith("/chat/completions")) {
      const base = { id: "chatcmpl-1", created: 1_790_000_000, model: String(body.model ?? "") };
      if (!stream) return json(200, { ...base, object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: script.text }, finish_reason: "stop" }], usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 } });
      response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
      response.write(`data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] })}\n\n`);
      for (const piece of pieces) {
        await pause();
        response.write(`data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })}\n\n`);
      }
      response.write(`data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`);
      response.end("data: [DONE]\n\n");
      return;
    }
    if (path === "/api/chat") {
      const line = (content: string, done: boolean) => JSON.stringify({ model: body.model, created_at: new Date().toISOString(), message: { role: "assistant", content }, done, ...(done ? { done_reason: "stop", total_duration: 1, eval_count: 1, prompt_eval_count: 1 } : {}) });
      if (!stream) return json(200, JSON.parse(line(script.text, true)));
      response.writeHead(200, { "Content-Type": "application/x-ndjson" });
      for (const piece of pieces) {
        await pause();
        response.write(`${line(piece, false)}\n`);
      }
      response.end(`${line("", true)}\n`);
      return;
    }
    if (path.endsWith("/messages")) {
      const message = { id: "msg_1", type: "message", role: "assistant", model: body.model, stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 0 } };
      if (!stream) return json(200, { ...message, content: [{ type: "text", text: script.text }], stop_reason: "end_turn", usage: { input_tokens: 10, output_tokens: 10 } });
      response.writeHead(200, { "Content-Type": "text/event-stream" });
      const event = (name: string, data: unknown) => response.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
      event("message_start", { type: "message_start", message: { ...message, content: [] } });
      event("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
      for (const piece of pieces) {
        await pause();
        event("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: piece } });
      }
      event("content_block_stop", { type: "content_block_stop", index: 0 });
      event("message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 10 } });
      event("message_stop", { type: "message_stop" });
      response.end();
      return;
    }
    json(404, { error: { message: `fake model server: no route ${path}` } });
  }
}
