/**
 * A raw graphql-transport-ws client for abuse tests: full control over what is sent and when, every message and
 * the close code recorded.
 */
import WebSocket from 'ws';

export interface RawWs {
  ws: WebSocket;
  /** connection_ack received. */
  acked: boolean;
  /** Close code (and reason), once closed. */
  closed?: { code: number; reason: string };
  /** Set when the upgrade was refused with an HTTP status. */
  refusedStatus?: number;
  /** Error messages by subscribe id. */
  errors: Map<string, Array<{ message: string; extensions?: Record<string, unknown> }>>;
  subscribe(id: string, query: string, variables?: Record<string, unknown>): void;
  close(): void;
}

export const wsUrl = (httpUrl: string) => `${httpUrl.replace(/^http/, 'ws')}/graphql`;

/** Opens a connection and sends connection_init; resolves once acked, closed or refused. */
export function openRawWs(httpUrl: string, token: string | null): Promise<RawWs> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl(httpUrl), 'graphql-transport-ws');
    const c: RawWs = {
      ws,
      acked: false,
      errors: new Map(),
      subscribe(id, query, variables) {
        if (ws.readyState === ws.OPEN)
          ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
      },
      close() {
        if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.terminate();
      },
    };
    ws.on('unexpected-response', (_req, res) => {
      c.refusedStatus = res.statusCode;
      c.closed = { code: 0, reason: `HTTP ${res.statusCode}` };
      ws.terminate();
      resolve(c);
    });
    ws.on('open', () =>
      ws.send(JSON.stringify({ type: 'connection_init', payload: token ? { Authorization: `Bearer ${token}` } : {} })),
    );
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { type: string; id?: string; payload?: unknown };
      if (m.type === 'connection_ack') {
        c.acked = true;
        resolve(c);
      } else if (m.type === 'error' && m.id) {
        c.errors.set(m.id, m.payload as Array<{ message: string; extensions?: Record<string, unknown> }>);
      }
    });
    ws.on('close', (code, reason) => {
      c.closed = { code, reason: reason.toString() };
      resolve(c);
    });
    ws.on('error', () => undefined);
  });
}

/** Polls `cond` every 10 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return cond();
}
