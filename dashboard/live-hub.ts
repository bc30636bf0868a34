// The live hub: the browsers connected to WebSocket /live and the windows broadcast to them.
// Protocol (server -> client only, JSON text frames): on connect {"type":"hello","recent":[...]},
// then {"type":"window","window":{...}} per accepted window; counters are decimal strings (the
// WindowResult wire form). Rules: browsers from another origin are refused (close 1008) so a
// foreign page cannot read the traffic data; each window is serialized once per broadcast, not once
// per client; a client whose send buffer passes the bound is closed with 4000 "resync" (it
// reconnects and gets a fresh hello) so a slow client costs bounded memory and never blocks others;
// peers that stop answering pings are terminated so half-open connections do not pile up.
import { WebSocket } from 'ws';
import { encodeWindowResult, type WindowResult } from '../common/contracts/window-result.js';
import type { Logger } from '../common/log.js';
import { Counter, Gauge, type Registry } from '../common/metrics.js';
import type { WindowFeed } from './feed/window-feed.js';

export const CLOSE_POLICY = 1008;
export const CLOSE_RESYNC = 4000;
export const CLOSE_GOING_AWAY = 1001;

export interface LiveHubOptions {
  /** Send-buffer bound per client, bytes. */
  maxBufferedBytes: number;
  /** Ping interval; a client that has not answered the previous ping is terminated. */
  heartbeatMs: number;
}

export interface LiveHub {
  /** Takes a freshly upgraded socket: checks its origin, sends hello, adds it to the broadcast. */
  accept(socket: WebSocket, headers: { origin?: string; host?: string }): void;
  /** Subscribes to the feed and starts the heartbeat. */
  start(): void;
  /** Unsubscribes and closes every client (1001 going away). */
  stop(): void;
  clientCount(): number;
}

/**
 * Browsers always send Origin on a WebSocket handshake; other clients (curl, scripts) may not.
 * An absent Origin is allowed; a present one must name the host:port the page was served from.
 */
export function originAllowed(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  if (!host) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return url.host.toLowerCase() === host.toLowerCase();
}

export function windowMessage(w: WindowResult): string {
  return `{"type":"window","window":${encodeWindowResult(w)}}`;
}

export function helloMessage(recent: readonly WindowResult[]): string {
  return `{"type":"hello","recent":[${recent.map(encodeWindowResult).join(',')}]}`;
}

export function createLiveHub(log: Logger, deps: { feed: WindowFeed; registry: Registry }, opts: LiveHubOptions): LiveHub {
  const clients = new Map<WebSocket, { alive: boolean }>();
  const connections = new Counter({ name: 'netmon_dashboard_ws_connections_total', help: 'WebSocket clients accepted', registers: [deps.registry] });
  const rejected = new Counter({ name: 'netmon_dashboard_ws_rejected_total', help: 'WebSocket clients refused (origin not allowed)', registers: [deps.registry] });
  const dropped = new Counter({ name: 'netmon_dashboard_ws_slow_dropped_total', help: 'WebSocket clients closed for resync because their send buffer was full', registers: [deps.registry] });
  const timedOut = new Counter({ name: 'netmon_dashboard_ws_timeouts_total', help: 'WebSocket clients terminated for not answering pings', registers: [deps.registry] });
  const sent = new Counter({ name: 'netmon_dashboard_ws_windows_sent_total', help: 'Window messages sent to WebSocket clients', registers: [deps.registry] });
  new Gauge({ name: 'netmon_dashboard_ws_clients', help: 'Connected WebSocket clients', registers: [deps.registry], collect() { this.set(clients.size); } });

  let unsubscribe: (() => void) | null = null;
  let heartbeat: NodeJS.Timeout | null = null;

  function broadcast(w: WindowResult): void {
    if (clients.size === 0) return;
    const msg = windowMessage(w);
    for (const socket of clients.keys()) {
      if (socket.readyState !== WebSocket.OPEN) continue;
      if (socket.bufferedAmount > opts.maxBufferedBytes) {
        // The close frame queues behind the backlog; ws destroys the socket if the peer never answers.
        clients.delete(socket);
        dropped.inc();
        log.warn({ bufferedBytes: socket.bufferedAmount }, 'slow WebSocket client dropped for resync');
        socket.close(CLOSE_RESYNC, 'resync');
        continue;
      }
      socket.send(msg);
      sent.inc();
    }
  }

  function ping(): void {
    for (const [socket, state] of clients) {
      if (!state.alive) {
        clients.delete(socket);
        timedOut.inc();
        socket.terminate();
        continue;
      }
      state.alive = false;
      socket.ping();
    }
  }

  return {
    accept(socket, headers) {
      if (!originAllowed(headers.origin, headers.host)) {
        rejected.inc();
        log.warn({ origin: headers.origin, host: headers.host }, 'WebSocket from a foreign origin refused');
        socket.close(CLOSE_POLICY, 'origin not allowed');
        return;
      }
      const state = { alive: true };
      // hello and the registration happen in one synchronous step, so no window falls in between.
      socket.send(helloMessage(deps.feed.recent()));
      clients.set(socket, state);
      connections.inc();
      socket.on('pong', () => {
        state.alive = true;
      });
      socket.on('close', () => clients.delete(socket));
      socket.on('error', (err) => log.debug({ err: err.message }, 'WebSocket client error'));
    },
    start() {
      unsubscribe ??= deps.feed.subscribe(broadcast);
      heartbeat ??= setInterval(ping, opts.heartbeatMs);
    },
    stop() {
      unsubscribe?.();
      unsubscribe = null;
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
      for (const socket of clients.keys()) socket.close(CLOSE_GOING_AWAY, 'server stopping');
      clients.clear();
    },
    clientCount: () => clients.size,
  };
}
