// The dashboard page's live socket (/live, see docs/dashboard.md): connects with the page's view in
// the URL, hands every message to the page, and keeps the connection. Rules: after a close it
// reconnects with exponential backoff and jitter (0.5 s doubling to 10 s, backoffDelay), but at once
// when the server said resync (the message, or close code 4000: the page fell behind) and when the
// page changed its view; after every reconnect but a view change, the page reloads from REST what
// the hello does not carry (onReconnect). The browser's WebSocket, timer and random source come in
// as options, so Node's tests drive it with a fake socket (dashboard/live-socket.test.ts).
import { backoffDelay } from '../live-model.js';

/** The server's "you fell behind" close code. */
export const CLOSE_RESYNC = 4000;
const CLOSE_POLICY = 1008;
const OPEN = 1;

/**
 * options: open(viewQuery) -> a WebSocket; view() -> the query of the page's view ("view=overview");
 * onMessage(msg) for every message; onState(state, text) with state 'live' or 'reconnecting';
 * onReconnect() after a reconnect's hello; setTimeout and random (the browser's by default).
 */
export function createLiveSocket(options) {
  const { open, view, onMessage, onState, onReconnect } = options;
  const setTimer = options.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms));
  const random = options.random ?? Math.random;
  let socket = null;
  let attempt = 0;
  let connectedBefore = false;
  let switchingView = false;
  /** The next hello follows a view switch, not a lost connection: nothing to reload from REST. */
  let afterViewSwitch = false;

  function connect() {
    const s = open(view());
    let resync = false;
    socket = s;
    s.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (msg.type === 'hello') {
        attempt = 0;
        onState('live', 'live');
      } else if (msg.type === 'resync') {
        resync = true;
      }
      onMessage(msg);
      if (msg.type === 'hello') {
        if (connectedBefore && !afterViewSwitch) onReconnect();
        afterViewSwitch = false;
        connectedBefore = true;
      }
    };
    s.onclose = (ev) => {
      // A resync means "you fell behind": come back at once; anything else backs off with jitter,
      // which spreads the reconnects of many open pages after a dashboard restart.
      const now = resync || ev.code === CLOSE_RESYNC || switchingView;
      afterViewSwitch = switchingView;
      switchingView = false;
      const delay = now ? 0 : backoffDelay(attempt, random());
      attempt++;
      onState('reconnecting', ev.code === CLOSE_POLICY ? 'refused by server, retrying…' : now ? 'resyncing…' : 'reconnecting…');
      setTimer(connect, delay);
    };
  }

  return {
    start: connect,
    /** The page shows another view: reconnect at once, so the hello brings what the new view shows. */
    viewChanged() {
      if (socket && socket.readyState === OPEN) {
        switchingView = true;
        socket.close(1000, 'view change');
      }
    },
  };
}
