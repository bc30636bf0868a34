// The device view of the dashboard page (#/device/<id>): a card per series (the device total, then
// each interface by ifIndex) with an in/out chart and the latest values. Live (the recent windows,
// updated as they arrive) or history from InfluxDB (/api/history: 1 h, 6 h, 24 h, 7 d, 30 d; drag
// across a chart to zoom, "reset zoom" to go back). Rules: live values come from the page's live
// state (live-model.js); the history a range asks for is drawn only if it is still the latest asked
// and the view is still open; a missing window is a gap, never a zero. A step of the collector's
// clock (its status's lastClockJump) is shown under the status line only when there was one.
import { ago, formatBps, formatPercent, formatPps, formatTime, interfaceKeys, timeline } from './live-model.js';
import { createLineChart, drawSeries } from './utils/charts.js';
import { el, setField } from './utils/dom.js';

/** Windows per live chart (3 h of 60 s windows), and so per series in the live state. */
export const LIVE_SLOTS = 180;
const HISTORY_RANGES = ['1h', '6h', '24h', '7d', '30d'];
const LATEST_FIELDS = [['in-bps', 'in', 'in'], ['out-bps', 'out', 'out'], ['in-pps', 'in pkt/s', 'in'], ['out-pps', 'out pkt/s', 'out'], ['in-utilization', 'in util', 'in'], ['out-utilization', 'out util', 'out'], ['coverage', 'coverage', ''], ['window', 'window', '']];

/**
 * "collector clock stepped +3600 s at <time>" for the collector's last clock step ({stepMs, at}), or
 * '' when there is none: samples polled around a step carry the collector's wrong time.
 */
export function clockJumpText(jump) {
  if (!jump || typeof jump.stepMs !== 'number') return '';
  const s = jump.stepMs / 1000;
  const size = Math.abs(s) >= 10 ? Math.round(Math.abs(s)) : Math.round(Math.abs(s) * 10) / 10;
  return `collector clock stepped ${s < 0 ? '−' : '+'}${size} s at ${formatTime(jump.at, true)}`;
}

/**
 * Builds device `id`'s page in `viewEl`. deps: live (the page's live state), api (utils/http.js),
 * scheduleRender (the page redraws the open view once per batch). render() draws the live state;
 * loadWindows() fetches the device's recent windows; close() when the page shows another view.
 */
export function createDeviceView(viewEl, id, deps) {
  const { live, api, scheduleRender } = deps;
  const buttons = el('div', { className: 'ranges', role: 'group', 'aria-label': 'time range' });
  for (const r of ['live', ...HISTORY_RANGES]) {
    const b = el('button', { type: 'button', text: r, 'data-range': r, 'data-testid': `range-${r}` });
    b.addEventListener('click', () => selectRange(r));
    buttons.appendChild(b);
  }
  const reset = el('button', { type: 'button', text: 'reset zoom', 'data-testid': 'reset-zoom', className: 'reset' });
  reset.hidden = true;
  reset.addEventListener('click', () => selectRange(page.range));
  const note = el('span', { className: 'range-note', 'data-testid': 'range-note' });
  const statusLine = el('span', { className: 'device-meta', 'data-testid': 'device-status' });
  const clockLine = el('span', { className: 'device-meta clock-step', 'data-testid': 'device-clock-step', role: 'note' });
  clockLine.hidden = true;
  const cardsEl = el('div', { className: 'cards', 'data-testid': 'cards' });
  viewEl.replaceChildren(
    el('div', { className: 'device-header' }, [el('a', { href: '#/', text: '← overview' }), el('h2', { text: id, 'data-testid': 'device-name' }), statusLine, clockLine]),
    el('div', { className: 'toolbar' }, [buttons, reset, note]),
    cardsEl,
  );
  const page = { range: 'live', zoom: null, loadSeq: 0, open: true };
  /** seriesKey -> {key, ifIndex, node, fields, state, canvas, chart} */
  const cards = new Map();

  function card(key, ifIndex, name) {
    let c = cards.get(key);
    if (c) return c;
    const canvas = el('canvas', { 'aria-label': `traffic of ${key}`, role: 'img' });
    const latest = el('dl', { className: 'latest' });
    const fields = {};
    for (const [f, label, cls] of LATEST_FIELDS) {
      latest.appendChild(el('dt', { text: label }));
      fields[f] = latest.appendChild(el('dd', { className: cls, 'data-testid': `latest-${f}`, text: '—' }));
    }
    const title = ifIndex === null ? [el('span', { text: 'Device total' })] : [el('span', { text: name || `interface ${ifIndex}`, 'data-testid': 'interface-name' }), el('span', { className: 'ifindex', text: `#${ifIndex}` })];
    const node = el('article', { className: ifIndex === null ? 'card rollup' : 'card', 'data-testid': 'interface-card', 'data-series-key': key, 'data-if-index': ifIndex === null ? 'device' : String(ifIndex) }, [
      el('h3', {}, title),
      el('div', { className: 'chart' }, [canvas]),
      latest,
    ]);
    const after = [...cards.values()].filter((x) => x.ifIndex !== null && (ifIndex === null || x.ifIndex > ifIndex)).sort((a, b) => a.ifIndex - b.ifIndex)[0];
    cardsEl.insertBefore(node, after ? after.node : null);
    const state = { t: [], coverage: [], partial: [] };
    c = { key, ifIndex, node, fields, state, canvas, chart: null };
    cards.set(key, c);
    c.chart = createLineChart(canvas, state);
    attachZoom(c);
    return c;
  }

  /** Drag across a chart to zoom the history to the selected time span (mouse, no plugin needed). */
  function attachZoom(c) {
    let startX = null;
    c.canvas.addEventListener('mousedown', (ev) => {
      startX = ev.offsetX;
    });
    c.canvas.addEventListener('mouseup', (ev) => {
      if (startX === null) return;
      const x0 = Math.min(startX, ev.offsetX);
      const x1 = Math.max(startX, ev.offsetX);
      startX = null;
      if (x1 - x0 < 10 || c.state.t.length < 2) return;
      const scale = c.chart.scales.x;
      const i0 = Math.max(0, Math.round(scale.getValueForPixel(x0)));
      const i1 = Math.min(c.state.t.length - 1, Math.round(scale.getValueForPixel(x1)));
      if (i1 <= i0) return;
      const step = c.state.t[1] - c.state.t[0];
      void loadHistory({ from: c.state.t[i0], to: c.state.t[i1] + step });
    });
  }

  function renderLiveCard(c) {
    const ws = live.store.windows(c.key);
    if (ws.length === 0) return;
    const newest = ws[ws.length - 1];
    if (page.range === 'live') {
      const { t, points } = timeline(ws, LIVE_SLOTS);
      drawSeries(c.chart, c.state, t, points.map((w) => (w ? w.inBps : null)), points.map((w) => (w ? w.outBps : null)), points.map((w) => (w ? w.coverage : null)), false);
    }
    setField(c.fields['in-bps'], formatBps(newest.inBps), newest.inBps);
    setField(c.fields['out-bps'], formatBps(newest.outBps), newest.outBps);
    setField(c.fields['in-pps'], formatPps(newest.inPps), newest.inPps);
    setField(c.fields['out-pps'], formatPps(newest.outPps), newest.outPps);
    setField(c.fields['in-utilization'], formatPercent(newest.inUtilization), newest.inUtilization);
    setField(c.fields['out-utilization'], formatPercent(newest.outUtilization), newest.outUtilization);
    setField(c.fields.coverage, formatPercent(newest.coverage * 100), newest.coverage);
    setField(c.fields.window, `${formatTime(newest.windowStart, false)} (rev ${newest.revision})`, newest.windowStart);
  }

  function render() {
    const s = live.statuses.get(id);
    const info = live.devices.get(id);
    statusLine.textContent = `${info ? `${info.host}:${info.port} · ` : ''}${s ? `${s.state}, last poll ${ago(s.lastPollAt, Date.now())}${s.lastError ? ` (${s.lastError})` : ''}` : 'no status yet'}`;
    statusLine.dataset.state = s ? s.state : 'unknown';
    const jump = clockJumpText(s && s.lastClockJump);
    clockLine.hidden = jump === '';
    clockLine.textContent = jump;
    for (const key of [id, ...interfaceKeys(live.store, id)]) {
      const w = live.store.latest(key);
      if (!w) continue;
      renderLiveCard(card(key, w.ifIndex, w.ifName));
    }
    for (const b of buttons.children) b.classList.toggle('active', b.dataset.range === page.range && !page.zoom);
  }

  function selectRange(range) {
    page.range = range;
    page.zoom = null;
    reset.hidden = true;
    if (range === 'live') {
      note.textContent = 'live: recent windows, updated as they arrive';
      note.dataset.resolution = 'live';
      render();
    } else void loadHistory(null);
  }

  async function loadHistory(zoom) {
    const seq = ++page.loadSeq;
    page.zoom = zoom;
    reset.hidden = !zoom;
    const span = zoom ? `from=${new Date(zoom.from).toISOString()}&to=${new Date(zoom.to).toISOString()}` : `range=${page.range === 'live' ? '1h' : page.range}`;
    note.textContent = 'loading history…';
    // A device with no recent windows still has its stored history: start with the device total.
    if (cards.size === 0) card(id, null, null);
    const shown = [...cards.values()];
    try {
      const results = await Promise.all(shown.map((c) => api.getJson(`/api/history?device=${encodeURIComponent(id)}&ifIndex=${c.ifIndex === null ? 'device' : c.ifIndex}&${span}`)));
      if (seq !== page.loadSeq || !page.open) return;
      results.forEach((h, i) => {
        const long = h.to - h.from > 86_400_000;
        drawSeries(shown[i].chart, shown[i].state, h.t, h.inBps, h.outBps, h.coverage, long);
        shown[i].node.dataset.historyPoints = String(h.inBps.filter((v) => v !== null).length);
      });
      const h = results[0];
      note.dataset.resolution = h ? h.resolution : '';
      note.textContent = h ? `${formatTime(h.from, true)} – ${formatTime(h.to, true)} · ${h.resolution === 'rollup' ? '1-hour rollups' : 'per window'}${zoom ? ' · zoomed' : ' · drag across a chart to zoom'}` : 'no interfaces yet';
      for (const b of buttons.children) b.classList.toggle('active', b.dataset.range === page.range && !zoom);
    } catch (err) {
      if (seq === page.loadSeq) note.textContent = `history unavailable: ${err.message}`;
    }
  }

  /**
   * The device's windows of the last hour from REST (InfluxDB), else the dashboard's recent ones:
   * the overview view did not receive every interface, and the cards should not wait for the next window.
   */
  async function loadWindows() {
    try {
      const ws = await api.getJson(`/api/windows?device=${encodeURIComponent(id)}`);
      for (const w of ws) live.store.add(w);
    } catch (err) {
      console.info('stored windows unavailable, using the recent ones', err.message);
      try {
        for (const w of await api.getJson(`/api/recent?device=${encodeURIComponent(id)}`)) live.store.add(w);
      } catch (err2) {
        console.warn('recent windows unavailable', err2.message);
      }
    }
    scheduleRender();
  }

  selectRange('live');
  return {
    render,
    loadWindows,
    close() {
      page.open = false;
    },
  };
}
