import { WebSocket as WsWebSocket } from "ws";

/**
 * @mattermost/client's WebSocketClient reads the global `WebSocket` (for its OPEN constant) and
 * builds a `CloseEvent` after a sequence gap or a ping timeout; Node 20 has neither (Node 22 has
 * WebSocket, not CloseEvent). Without them a reconnect throws. Installed once, only where missing.
 */
export function installWebSocketGlobals(): void {
  const scope = globalThis as Record<string, unknown>;
  scope.WebSocket ??= WsWebSocket;
  scope.CloseEvent ??= class CloseEvent extends Event {
    readonly code: number;
    readonly reason: string;
    readonly wasClean: boolean;

    constructor(type: string, init: { code?: number; reason?: string; wasClean?: boolean } = {}) {
      super(type);
      this.code = init.code ?? 0;
      this.reason = init.reason ?? "";
      this.wasClean = init.wasClean ?? false;
    }
  };
}

/** The `ws` client, which unlike Node's own WebSocket works the same on Node 20, 22 and 24. */
export function newWebSocket(url: string): WebSocket {
  return new WsWebSocket(url) as unknown as WebSocket;
}
