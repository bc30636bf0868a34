// The dashboard page's charts, drawn with chart.js (its UMD build, served by this dashboard from
// node_modules at /vendor/chart.umd.js and loaded by the page before its modules: the global Chart).
// Rules: a missing window is a gap (null), never a zero; a point with no neighbours is drawn as a
// dot and a partial window (coverage < 1) as a hollow one; no animation (values change every window).
import { formatBps, formatTime } from '../live-model.js';

export const IN_COLOR = '#2563eb';
export const OUT_COLOR = '#d97706';

const chartJs = () => globalThis.Chart;

/** A point with no neighbours would be invisible as a line: draw it as a dot; partial windows as hollow dots. */
function pointRadius(partial) {
  return (ctx) => {
    const d = ctx.dataset.data;
    const i = ctx.dataIndex;
    const missing = (j) => j < 0 || j >= d.length || d[j] === null;
    if (d[i] === null) return 0;
    if (partial && partial[i]) return 3;
    return missing(i - 1) && missing(i + 1) ? 3 : 0;
  };
}

function lineDataset(label, color, dash, partial) {
  return {
    label, data: [], borderColor: color, backgroundColor: color, borderWidth: 2, borderDash: dash, tension: 0,
    spanGaps: false, pointRadius: pointRadius(partial), pointBackgroundColor: (ctx) => (partial && partial[ctx.dataIndex] ? '#ffffff' : color), pointHoverRadius: 4,
  };
}

/**
 * An in/out bit/s chart on `canvas`. `state` ({t, coverage, partial}) is what drawSeries last drew:
 * the tooltips read the window times and coverage from it.
 */
export function createLineChart(canvas, state) {
  const Chart = chartJs();
  return new Chart(canvas, {
    type: 'line',
    data: { labels: [], datasets: [lineDataset('in', IN_COLOR, [], state.partial), lineDataset('out', OUT_COLOR, [6, 4], state.partial)] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { ticks: { autoSkip: true, maxTicksLimit: 8, maxRotation: 0 } },
        y: { beginAtZero: true, ticks: { callback: (v) => formatBps(v) } },
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            title: (items) => (items.length ? new Date(state.t[items[0].dataIndex]).toLocaleString() : ''),
            label: (item) => `${item.dataset.label}: ${item.parsed.y === null ? 'no data' : formatBps(item.parsed.y)}`,
            afterBody: (items) => {
              const c = items.length ? state.coverage[items[0].dataIndex] : null;
              return c !== null && c !== undefined && c < 1 ? `partial window: ${Math.round(c * 100)} % covered` : '';
            },
          },
        },
      },
    },
  });
}

/** Draws t / in / out / coverage (null = gap) on a chart made by createLineChart. */
export function drawSeries(chart, state, t, inBps, outBps, coverage, long) {
  state.t = t;
  state.coverage = coverage;
  state.partial.length = 0;
  for (const c of coverage) state.partial.push(c !== null && c < 1);
  chart.data.labels = t.map((x) => formatTime(x, long));
  // Dates with times are wide labels: fewer of them so they do not overlap.
  chart.options.scales.x.ticks.maxTicksLimit = long ? 5 : 8;
  chart.data.datasets[0].data = inBps;
  chart.data.datasets[1].data = outBps;
  chart.update('none');
}

/** A small in + out line without axes or tooltips (the overview's "last windows"). */
export function createSparkline(canvas) {
  const Chart = chartJs();
  return new Chart(canvas, {
    type: 'line',
    data: { labels: [], datasets: [{ data: [], borderColor: IN_COLOR, borderWidth: 1.5, pointRadius: 0, spanGaps: false, tension: 0 }] },
    options: { animation: false, responsive: false, events: [], plugins: { legend: { display: false }, tooltip: { enabled: false } }, scales: { x: { display: false }, y: { display: false, beginAtZero: true } } },
  });
}

/** Draws a sparkline's points (null = gap). */
export function drawSparkline(chart, values) {
  chart.data.labels = values.map((_, i) => i);
  chart.data.datasets[0].data = values;
  chart.update('none');
}
