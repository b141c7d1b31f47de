import type mattermost from "@mattermost/client";

type Socket = InstanceType<typeof mattermost.WebSocketClient>;

/**
 * WebSocketClient.close() only closes an open connection: one still connecting (a reconnection in
 * progress) would open later and reconnect for ever. Close that one too, and keep it from retrying.
 */
export function closeForGood(socket: Socket): void {
  const pending = (socket as unknown as { conn: WebSocket | null }).conn;
  socket.close();
  if (pending && pending.readyState !== WebSocket.OPEN) {
    pending.onclose = null;
    pending.onmessage = null;
    // ws throws an error nobody listens to: keep a listener.
    pending.onerror = () => {};
    pending.onopen = () => pending.close();
    if (pending.readyState === WebSocket.CONNECTING) return;
    pending.close();
  }
}
