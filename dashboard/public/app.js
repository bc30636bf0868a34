// The dashboard page (index.html): two views chosen by the URL hash, the overview (#/, overview.js)
// and a device's page (#/device/<id>, device.js). This module routes between them and keeps what
// both draw from, the live state (live-model.js): filled from REST (/api/devices, /api/recent,
// /api/live/status, /api/live/alerts) on load and after every reconnect, and from the live socket
// /live (utils/live-socket.js), which is told which view this page shows (the overview gets the
// device totals and the server's top lists, a device page that device's windows).
// Rules: many messages arrive at once, so the open view is redrawn once per batch, not per message;
// the browser's objects (WebSocket, location) are used here and handed to the modules.
import { applyLiveMessage, applyStatus, createLiveState } from './live-model.js';
import { createDeviceView, LIVE_SLOTS } from './device.js';
import { createOverviewView } from './overview.js';
import { createApi } from './utils/http.js';
import { $ } from './utils/dom.js';
import { createLiveSocket } from './utils/live-socket.js';

// Not logged in (and no anonymous role configured): the login form, then back here.
const api = createApi({ onUnauthorized: () => { location.href = `/login.html?next=${encodeURIComponent('/')}`; } });
const live = createLiveState(LIVE_SLOTS);
const viewEl = $('#view');
const statusEl = $('[data-testid="status"]');
/** The open view: {render(), close?()}. */
let view = null;

function setConnection(state, text) {
  statusEl.dataset.state = state;
  statusEl.textContent = text;
  document.body.classList.toggle('stale', state !== 'live');
}

let renderScheduled = false;

function scheduleRender() {
  if (renderScheduled) return;
  renderScheduled = true;
  // Many windows arrive at once (hello, a batch): draw once per batch, not once per window.
  setTimeout(() => {
    renderScheduled = false;
    if (view) view.render();
  }, 0);
}

/** The device of a #/device/<id> hash, else null (the overview). */
function deviceOfHash() {
  const m = /^#\/device\/(.+)$/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : null;
}

/** What this page shows, as the /live query: the server then sends only those windows (and a hello to match). */
function viewQuery() {
  const id = deviceOfHash();
  return id === null ? 'view=overview' : `view=device&device=${encodeURIComponent(id)}`;
}

const socket = createLiveSocket({
  open: (query) => new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/live?${query}`),
  view: viewQuery,
  onMessage(msg) {
    applyLiveMessage(live, msg);
    scheduleRender();
  },
  onState: setConnection,
  // After a reconnect, REST fills in what the hello does not carry (the device list, full alerts).
  onReconnect: () => void resyncFromRest(),
});

async function route() {
  const id = deviceOfHash();
  if (view && view.close) view.close();
  view = null;
  document.body.dataset.view = id === null ? 'overview' : 'device';
  socket.viewChanged();
  if (id !== null) {
    const page = createDeviceView(viewEl, id, { live, api, scheduleRender });
    view = page;
    await page.loadWindows();
  } else view = createOverviewView(viewEl, live);
  scheduleRender();
}

/** Reloads everything the live feed could have missed (on load and after every reconnect). */
async function resyncFromRest() {
  const [devices, recent, status, recentAlerts] = await Promise.allSettled([api.getJson('/api/devices'), api.getJson('/api/recent'), api.getJson('/api/live/status'), api.getJson('/api/live/alerts')]);
  if (devices.status === 'fulfilled') for (const d of devices.value) live.devices.set(d.id, d);
  if (recent.status === 'fulfilled') for (const w of recent.value) live.store.add(w);
  if (status.status === 'fulfilled') for (const s of status.value) applyStatus(live, s);
  if (recentAlerts.status === 'fulfilled') live.alerts = recentAlerts.value;
  for (const r of [devices, recent, status, recentAlerts]) if (r.status === 'rejected') console.warn('resync: part of the state is unavailable', r.reason.message);
  scheduleRender();
}

window.addEventListener('hashchange', () => void route());
void route();
void resyncFromRest();
socket.start();
