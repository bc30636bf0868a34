// The overview view of the dashboard page (#/): every device with its status, last poll, current
// in/out bit/s, utilization and a sparkline of its last windows; the top interfaces by utilization
// and by bit/s; the recent alerts. Rules: it draws from the page's live state (live-model.js) and
// fetches nothing itself; rows are kept per device and updated in place, so values change as windows
// arrive without the table being rebuilt.
import { ago, deviceIds, formatBps, formatPercent, formatTime, seriesKey, timeline, topN, utilization } from './live-model.js';
import { createSparkline, drawSparkline } from './utils/charts.js';
import { el, setField } from './utils/dom.js';

const SPARK_SLOTS = 30;
const TOP_N = 10;

/** Builds the overview in `viewEl`; render() draws `live` (the page's live state) into it. */
export function createOverviewView(viewEl, live) {
  const rows = el('tbody', { 'data-testid': 'device-rows' });
  const table = el('table', { className: 'devices', 'data-testid': 'devices-table' }, [
    el('thead', {}, [el('tr', {}, ['device', 'status', 'last poll', 'in', 'out', 'utilization', 'last windows'].map((h) => el('th', { text: h })))]),
    rows,
  ]);
  const topUtil = el('ol', { className: 'top', 'data-testid': 'top-utilization' });
  const topBps = el('ol', { className: 'top', 'data-testid': 'top-bps' });
  const alertList = el('ul', { className: 'alerts', 'data-testid': 'alerts' });
  const empty = el('p', { className: 'empty', 'data-testid': 'empty', text: 'Waiting for devices and windows…' });
  viewEl.replaceChildren(
    el('section', { className: 'panel' }, [el('h2', { text: 'Devices' }), empty, table]),
    el('div', { className: 'tops' }, [
      el('section', { className: 'panel' }, [el('h2', { text: `Top ${TOP_N} interfaces by utilization` }), topUtil]),
      el('section', { className: 'panel' }, [el('h2', { text: `Top ${TOP_N} interfaces by bit/s` }), topBps]),
      el('section', { className: 'panel' }, [el('h2', { text: 'Recent alerts' }), alertList]),
    ]),
  );
  /** deviceId -> {tr, cells, spark} */
  const devices = new Map();

  function deviceRow(id) {
    let row = devices.get(id);
    if (row) return row;
    const cells = {};
    const link = el('a', { href: `#/device/${encodeURIComponent(id)}`, text: id, 'data-testid': 'device-link' });
    const tr = el('tr', { 'data-testid': 'device-row', 'data-device-id': id });
    tr.appendChild(el('td', {}, [link]));
    for (const name of ['state', 'last-poll', 'in-bps', 'out-bps', 'utilization']) tr.appendChild((cells[name] = el('td', { 'data-testid': `device-${name}`, className: name })));
    const canvas = el('canvas', { width: '160', height: '32', 'aria-label': `recent traffic of ${id}`, role: 'img' });
    tr.appendChild(el('td', {}, [canvas]));
    const next = [...devices.keys()].filter((k) => k > id).sort()[0];
    rows.insertBefore(tr, next === undefined ? null : devices.get(next).tr);
    row = { tr, cells, spark: createSparkline(canvas) };
    devices.set(id, row);
    return row;
  }

  function fillTop(list, windows, describe) {
    list.replaceChildren(
      ...windows.map((w) =>
        el('li', { 'data-testid': 'top-entry', 'data-series-key': seriesKey(w) }, [
          el('a', { href: `#/device/${encodeURIComponent(w.deviceId)}`, text: `${w.deviceId} ${w.ifName || `#${w.ifIndex}`}` }),
          el('span', { className: 'value', text: ` ${describe(w)}` }),
        ]),
      ),
    );
  }

  function render() {
    const now = Date.now();
    const ids = deviceIds(live);
    empty.hidden = ids.length > 0;
    table.hidden = ids.length === 0;
    for (const id of ids) {
      const row = deviceRow(id);
      const s = live.statuses.get(id);
      const info = live.devices.get(id);
      const state = s ? s.state : info && !info.enabled ? 'disabled' : 'unknown';
      row.cells.state.dataset.state = state;
      setField(row.cells.state, state === 'auth-failure' ? 'auth failure' : state, state);
      if (s && s.lastError) row.cells.state.title = s.lastError;
      setField(row.cells['last-poll'], s ? ago(s.lastPollAt, now) : '—', s ? s.lastPollAt : null);
      // The device total: its rollup series when the processor sends one, else nothing.
      const total = live.store.latest(id);
      setField(row.cells['in-bps'], formatBps(total ? total.inBps : null), total ? total.inBps : null);
      setField(row.cells['out-bps'], formatBps(total ? total.outBps : null), total ? total.outBps : null);
      const u = total ? utilization(total) : null;
      setField(row.cells.utilization, formatPercent(u), u);
      const { points } = timeline(live.store.windows(id), SPARK_SLOTS);
      drawSparkline(row.spark, points.map((w) => (w ? w.inBps + w.outBps : null)));
    }
    const latest = live.store
      .keys()
      .filter((k) => k.includes('/'))
      .map((k) => live.store.latest(k));
    // The server's top lists (overview view) look at every interface; until one arrives, what this page holds.
    fillTop(topUtil, live.top ? live.top.utilization : topN(latest, utilization, TOP_N), (w) => formatPercent(utilization(w)));
    fillTop(topBps, live.top ? live.top.bps : topN(latest, (w) => w.inBps + w.outBps, TOP_N), (w) => `${formatBps(w.inBps)} in · ${formatBps(w.outBps)} out`);
    alertList.replaceChildren(
      ...live.alerts
        .slice(-10)
        .reverse()
        .map((a) => el('li', { className: `alert ${a.state} ${a.severity}`, 'data-testid': 'alert' }, [el('span', { className: 'when', text: formatTime(a.ts, true) }), ` ${a.deviceId}${a.ifIndex ? `/${a.ifIndex}` : ''} ${a.state}: ${a.message}`])),
    );
    if (live.alerts.length === 0) alertList.replaceChildren(el('li', { className: 'muted', text: 'none' }));
  }

  return { render };
}
