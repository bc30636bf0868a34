// The overview at 2,000 devices in a real browser (Chromium through playwright-core) against a real
// dashboard server fed by a memory feed: 2,000 synthetic devices (tags, hosts, statuses) with a
// device total and two interfaces each. It prints first paint (navigation start to the table
// showing rows, the page's own performance mark) and the time to apply one round of live updates
// (windows of all 2,000 devices pushed to the feed -> every visible row shows its new value), with
// the longest main-thread task meanwhile. It asserts behaviour only, never timings: the DOM holds
// one page of rows, search narrows to the right devices, sorting orders them, the tag and status
// filters and paging show the right slice, the state survives a reload through the URL hash, and
// the top lists follow the live windows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { deviceSchema, netmonConfigSchema, type DeviceConfig } from '../../common/config/schema.js';
import type { WindowResult } from '../../common/contracts/window-result.js';
import { createLogger } from '../../common/log.js';
import { createRegistry } from '../../common/metrics.js';
import { sampleWindow } from '../../dashboard/dashboard.fixture.js';
import { createMemoryFeed } from '../../dashboard/feed/window-feed.js';
import { createDashboard } from '../../dashboard/server.js';
import { artifactPath, launchChromium, openRecordedPage, type PageRecorder } from './browser.js';

// The page-side functions run in Chromium, but this project compiles without the DOM lib (see
// browser.ts), so they name the few browser objects they use.
interface PageElement {
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
}
declare const document: { querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): Iterable<PageElement> };
declare const location: { hash: string };
declare const PerformanceObserver: new (cb: (list: { getEntries(): { duration: number }[] }) => void) => { observe(options: { type: string }): void };

const DEVICES = 2000;
const PAGE_SIZE = 50;
const STEP = 60_000;
const REGIONS = ['ams', 'fra', 'lon', 'nyc'];
const ROLES = ['core', 'edge', 'access'];

interface Synthetic {
  id: string;
  host: string;
  tags: string[];
  /** 'up', 'unreachable' or null (no status: unknown). */
  state: 'up' | 'unreachable' | null;
}

function synthetic(i: number): Synthetic {
  const tags = [REGIONS[i % REGIONS.length], ROLES[i % ROLES.length]];
  if (i % 97 === 0) tags.push('rare');
  return { id: `dev-${String(i).padStart(4, '0')}`, host: `10.${Math.floor(i / 250)}.${i % 250}.1`, tags, state: i % 10 === 0 ? 'unreachable' : i % 13 === 0 ? null : 'up' };
}

/** Device i's total in bit/s in round r: a permutation of 1..2000 kb/s, a new one each round (7919 is prime to 2000). */
const totalIn = (i: number, r: number) => (((i * 7919 + r * 1009) % DEVICES) + 1) * 1000;

function roundWindows(devs: Synthetic[], r: number, start: number): WindowResult[] {
  const out: WindowResult[] = [];
  devs.forEach((d, k) => {
    const inBps = totalIn(k + 1, r);
    const base = { deviceId: d.id, windowStart: start, windowEnd: start + STEP, revision: 0, outBps: inBps / 10, inUtilization: inBps / 1e5, outUtilization: inBps / 1e6 };
    out.push(sampleWindow({ ...base, ifIndex: null, ifName: null, inBps }));
    out.push(sampleWindow({ ...base, ifIndex: 1, ifName: 'uplink', inBps: inBps * 0.75 }));
    out.push(sampleWindow({ ...base, ifIndex: 2, ifName: 'access', inBps: inBps * 0.25 }));
  });
  return out;
}

/** The rows the page shows: device id and the in bit/s it holds (data-value). */
async function shownRows(page: Page): Promise<{ id: string; inBps: number | null }[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="device-row"]')].map((tr) => {
      const v = tr.querySelector('[data-testid="device-in-bps"]')?.getAttribute('data-value') ?? '';
      return { id: tr.getAttribute('data-device-id') ?? '', inBps: v === '' ? null : Number(v) };
    }),
  );
}

const shownIds = async (page: Page) => (await shownRows(page)).map((r) => r.id);

/** Every <tr> in the device table's body: only the shown page may be in the DOM. */
const domRows = (page: Page) => page.evaluate(() => [...document.querySelectorAll('[data-testid="device-rows"] tr')].length);

/** The page's count line: how many devices match, of how many. */
async function counts(page: Page): Promise<{ matched: number; total: number; first: number }> {
  const c = page.getByTestId('overview-count');
  return { matched: Number(await c.getAttribute('data-matched')), total: Number(await c.getAttribute('data-total')), first: Number(await c.getAttribute('data-first')) };
}

/** Waits until the shown ids are `want` (the page draws on the next animation frame). */
async function expectIds(page: Page, want: string[], what: string): Promise<void> {
  try {
    await page.waitForFunction((ids) => {
      const got = [...document.querySelectorAll('[data-testid="device-row"]')].map((tr) => tr.getAttribute('data-device-id'));
      return got.length === ids.length && got.every((id, i) => id === ids[i]);
    }, want, { timeout: 10_000 });
  } catch {
    assert.deepEqual(await shownIds(page), want, what);
  }
}

void test('overview at 2,000 devices: one page of rows in the DOM, search, sort, tag and status filters, paging, state in the hash, live updates and top lists', { timeout: 300_000 }, async (t) => {
  const config = netmonConfigSchema.parse({ dashboard: { host: '127.0.0.1', port: 0, auth: { anonymousRole: 'viewer' } } });
  const log = createLogger({ level: process.env.NETMON_TEST_LOG_LEVEL ?? 'error', destination: process.stderr });
  const devs = Array.from({ length: DEVICES }, (_, k) => synthetic(k + 1));
  const configs: DeviceConfig[] = devs.map((d) => deviceSchema.parse({ id: d.id, host: d.host, tags: d.tags, snmp: { version: '2c', community: 'public' } }));
  const feed = createMemoryFeed({ perSeries: 10 });
  const dash = createDashboard(log, config, { registry: createRegistry({ defaultMetrics: false }), feed, store: null, devices: () => configs });
  const start0 = Math.floor(Date.now() / STEP) * STEP - 5 * STEP;
  const now = Date.now();
  for (const d of devs) if (d.state) feed.pushStatus({ v: 1, kind: 'device-status', deviceId: d.id, state: d.state, lastError: d.state === 'up' ? null : 'timeout', lastPollAt: now, lastSuccessAt: now, lastPollDurationMs: 5, interfaces: 2 });
  for (const r of [0, 1]) for (const w of roundWindows(devs, r, start0 + r * STEP)) feed.push(w);
  await dash.start();
  let browser: Browser | undefined;
  let rec: PageRecorder | undefined;
  try {
    const url = dash.url();
    assert.ok(url, 'dashboard listening');
    browser = await launchChromium();
    rec = await openRecordedPage(browser);
    const { page } = rec;

    // First paint: navigation start to the table showing rows (the page marks it).
    assert.equal((await page.goto(url))?.status(), 200);
    await page.locator('[data-testid="device-row"]').first().waitFor({ timeout: 30_000 });
    const firstPaint = await page.evaluate(() => performance.getEntriesByName('netmon-overview-first-rows')[0]?.startTime ?? null);
    // Where the time goes before that: the page's scripts loaded (DOMContentLoaded), then the data.
    const loaded = await page.evaluate(() => (performance as unknown as { getEntriesByType(type: string): { domContentLoadedEventEnd: number }[] }).getEntriesByType('navigation')[0].domContentLoadedEventEnd);
    assert.ok(firstPaint !== null, 'the page marks its first rows');
    await page.waitForFunction((n) => document.querySelector('[data-testid="overview-count"]')?.getAttribute('data-total') === String(n), DEVICES, { timeout: 30_000 });
    const byId = devs.map((d) => d.id);
    await expectIds(page, byId.slice(0, PAGE_SIZE), 'page 1 by id');
    assert.equal(await domRows(page), PAGE_SIZE, 'only the shown page is in the DOM');
    assert.deepEqual(await counts(page), { matched: DEVICES, total: DEVICES, first: 0 });
    assert.equal(await page.getByTestId('page-info').getAttribute('data-pages'), String(DEVICES / PAGE_SIZE));

    // Live updates: one round of windows for all 2,000 devices; every visible row shows its new value.
    const round = 2;
    const want = devs.slice(0, PAGE_SIZE).map((_, k) => totalIn(k + 1, round));
    await page.evaluate(() => {
      const g = globalThis as unknown as { __longTasks: number[] };
      g.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) g.__longTasks.push(e.duration);
      }).observe({ type: 'longtask' });
    });
    const pushedAt = Date.now();
    for (const w of roundWindows(devs, round, start0 + round * STEP)) feed.push(w);
    const appliedAt = (await (
      await page.waitForFunction(
        (values) => {
          const cells = [...document.querySelectorAll('[data-testid="device-row"] [data-testid="device-in-bps"]')];
          const ok = cells.length === values.length && cells.every((c, i) => c.getAttribute('data-value') === String(values[i]));
          return ok ? performance.timeOrigin + performance.now() : false;
        },
        want,
        { polling: 'raf', timeout: 30_000 },
      )
    ).jsonValue()) as number;
    const longTasks = await page.evaluate(() => (globalThis as unknown as { __longTasks: number[] }).__longTasks);
    t.diagnostic(`first paint (navigation start -> rows shown): ${Math.round(firstPaint)} ms for ${DEVICES} devices (scripts loaded at ${Math.round(loaded)} ms)`);
    t.diagnostic(`one live round (${DEVICES * 3} windows pushed -> ${PAGE_SIZE} visible rows updated): ${Math.round(appliedAt - pushedAt)} ms; long tasks meanwhile: ${longTasks.length}, longest ${Math.round(Math.max(0, ...longTasks))} ms`);
    console.log(`overview-scale: firstPaintMs=${Math.round(firstPaint)} domContentLoadedMs=${Math.round(loaded)} liveRoundMs=${Math.round(appliedAt - pushedAt)} longestTaskMs=${Math.round(Math.max(0, ...longTasks))}`);
    assert.equal(await domRows(page), PAGE_SIZE, 'still one page of rows after the update');
    // The sparklines follow within a few frames (they are drawn within a time budget per frame).
    await page.waitForFunction(
      (values) => {
        const g = globalThis as unknown as { Chart: { getChart(c: PageElement | null): { data: { datasets: { data: (number | null)[] }[] } } | undefined } };
        const rows = [...document.querySelectorAll('[data-testid="device-row"]')];
        return [...document.querySelectorAll('canvas.pending')].length === 0 && rows.every((tr, i) => g.Chart.getChart(tr.querySelector('canvas'))?.data.datasets[0].data.at(-1) === values[i]);
      },
      want.map((v) => v + v / 10),
      { timeout: 10_000 },
    );

    // The top lists follow the live round: the interface with the highest in + out bit/s now.
    const topK = devs.findIndex((_, k) => totalIn(k + 1, round) === DEVICES * 1000);
    await page.waitForFunction((key) => document.querySelector('[data-testid="top-bps"] [data-testid="top-entry"]')?.getAttribute('data-series-key') === key, `${devs[topK].id}/1`, { timeout: 10_000 });

    // Search by id: dev-123 matches dev-1230 .. dev-1239.
    await page.getByTestId('device-search').fill('dev-123');
    await expectIds(page, Array.from({ length: 10 }, (_, k) => `dev-123${k}`), 'search by id');
    assert.equal(await page.getByTestId('page-next').isVisible(), false, 'one page: no pager');
    // Search by host: every device whose host contains "10.7.1" (10.7.1.1, 10.7.10.1 .. 10.7.199.1).
    const hostMatches = devs.filter((d) => d.host.includes('10.7.1')).map((d) => d.id);
    await page.getByTestId('device-search').fill('10.7.1');
    await page.waitForFunction((n) => document.querySelector('[data-testid="overview-count"]')?.getAttribute('data-matched') === String(n), hostMatches.length, { timeout: 10_000 });
    await expectIds(page, hostMatches.slice(0, PAGE_SIZE), 'search by host, page 1');
    // Search by tag.
    const rare = devs.filter((d) => d.tags.includes('rare')).map((d) => d.id);
    await page.getByTestId('device-search').fill('RARE');
    await expectIds(page, rare, 'search by tag, case-insensitive');
    await page.getByTestId('device-search').fill('');
    await expectIds(page, byId.slice(0, PAGE_SIZE), 'search cleared');

    // Sort by in bit/s: highest first, then lowest first (the values are distinct).
    const byIn = devs.map((d, k) => ({ id: d.id, v: totalIn(k + 1, round) })).sort((a, b) => b.v - a.v);
    await page.getByTestId('sort-inBps').click();
    await expectIds(page, byIn.slice(0, PAGE_SIZE).map((x) => x.id), 'in bit/s, descending');
    assert.equal(await page.locator('th[data-column="inBps"]').getAttribute('aria-sort'), 'descending');
    await page.getByTestId('sort-inBps').click();
    await expectIds(page, byIn.slice(-PAGE_SIZE).reverse().map((x) => x.id), 'in bit/s, ascending');
    // Sort by id descending.
    await page.getByTestId('sort-id').click();
    await page.getByTestId('sort-id').click();
    await expectIds(page, [...byId].reverse().slice(0, PAGE_SIZE), 'id, descending');

    // Filters: tag fra and status down (unreachable), by id; then the second page of tag fra.
    await page.getByTestId('sort-id').click();
    await page.getByTestId('tag-filter').selectOption('fra');
    await page.getByTestId('status-filter').selectOption('down');
    const fraDown = devs.filter((d) => d.tags.includes('fra') && d.state === 'unreachable').map((d) => d.id);
    await expectIds(page, fraDown.slice(0, PAGE_SIZE), 'tag fra, status down');
    assert.equal((await counts(page)).matched, fraDown.length);
    await page.getByTestId('status-filter').selectOption('unknown');
    const fraUnknown = devs.filter((d) => d.tags.includes('fra') && d.state === null).map((d) => d.id);
    await expectIds(page, fraUnknown.slice(0, PAGE_SIZE), 'tag fra, status unknown');
    assert.deepEqual(await page.evaluate(() => [...new Set([...document.querySelectorAll('[data-testid="device-state"]')].map((td) => td.getAttribute('data-value')))]), ['unknown']);
    await page.getByTestId('status-filter').selectOption('');
    const fra = devs.filter((d) => d.tags.includes('fra')).map((d) => d.id);
    await page.getByTestId('page-next').click();
    await expectIds(page, fra.slice(PAGE_SIZE, 2 * PAGE_SIZE), 'tag fra, page 2');
    assert.deepEqual(await counts(page), { matched: fra.length, total: DEVICES, first: PAGE_SIZE });
    await page.getByTestId('page-last').click();
    const lastFirst = Math.floor((fra.length - 1) / PAGE_SIZE) * PAGE_SIZE;
    await expectIds(page, fra.slice(lastFirst), 'tag fra, last page');

    // Bigger pages: still exactly the shown rows in the DOM.
    await page.getByTestId('page-first').click();
    await page.getByTestId('page-size').selectOption('200');
    await expectIds(page, fra.slice(0, 200), 'tag fra, 200 a page');
    assert.equal(await domRows(page), 200);

    // The state is in the URL hash: a reload shows the same table.
    await page.getByTestId('sort-utilization').click();
    await page.getByTestId('page-next').click();
    const byUtil = devs.map((d, k) => ({ id: d.id, v: totalIn(k + 1, round) })).filter((x) => fra.includes(x.id)).sort((a, b) => b.v - a.v).map((x) => x.id);
    await expectIds(page, byUtil.slice(200, 400), 'tag fra by utilization, page 2 of 200');
    const hash = await page.evaluate(() => location.hash);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(hash.slice(hash.indexOf('?') + 1))), { tag: 'fra', sort: 'utilization', dir: 'desc', page: '2', size: '200' });
    await page.reload();
    await page.locator('[data-testid="device-row"]').first().waitFor({ timeout: 30_000 });
    await expectIds(page, byUtil.slice(200, 400), 'the same table after a reload');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="device-row"] canvas:not(.pending)')].length === 200, undefined, { timeout: 10_000 });
    assert.equal(await page.getByTestId('tag-filter').inputValue(), 'fra');
    assert.equal(await page.getByTestId('page-size').inputValue(), '200');
    assert.equal(await page.evaluate(() => location.hash), hash, 'the hash is kept');

    // A live round while sorted by a live column, 200 a page: the rows re-sort to the new values.
    const round3 = 3;
    const byUtil3 = devs.map((d, k) => ({ id: d.id, v: totalIn(k + 1, round3) })).filter((x) => fra.includes(x.id)).sort((a, b) => b.v - a.v).slice(200, 400);
    const pushed3 = Date.now();
    for (const w of roundWindows(devs, round3, start0 + round3 * STEP)) feed.push(w);
    const applied3 = (await (
      await page.waitForFunction(
        (wantRows) => {
          const trs = [...document.querySelectorAll('[data-testid="device-row"]')];
          const ok = trs.length === wantRows.length && trs.every((tr, i) => tr.getAttribute('data-device-id') === wantRows[i].id && tr.querySelector('[data-testid="device-in-bps"]')?.getAttribute('data-value') === String(wantRows[i].v));
          return ok ? performance.timeOrigin + performance.now() : false;
        },
        byUtil3,
        { polling: 'raf', timeout: 30_000 },
      )
    ).jsonValue()) as number;
    t.diagnostic(`one live round re-sorting 200 visible rows (sorted by utilization): ${Math.round(applied3 - pushed3)} ms`);
    console.log(`overview-scale: liveRoundResorted200Ms=${Math.round(applied3 - pushed3)}`);

    // Back to the first page (a filter change starts over) of everything for the screenshot.
    await page.getByTestId('tag-filter').selectOption('');
    await page.getByTestId('page-size').selectOption('50');
    const byIn3 = devs.map((d, k) => ({ id: d.id, v: totalIn(k + 1, round3) })).sort((a, b) => b.v - a.v);
    await expectIds(page, byIn3.slice(0, PAGE_SIZE).map((x) => x.id), 'all devices by utilization (of the device total: in bit/s / 100 kb/s here)');
    await page.getByTestId('tag-filter').selectOption('fra');
    await page.getByTestId('page-next').click();
    await expectIds(page, byIn3.filter((x) => fra.includes(x.id)).slice(PAGE_SIZE, 2 * PAGE_SIZE).map((x) => x.id), 'tag fra by utilization, page 2');
    await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
    await page.screenshot({ path: artifactPath('overview-scale.png'), fullPage: false });

    assert.deepEqual(rec.pageErrors, [], 'no uncaught exceptions in the page');
    assert.deepEqual(rec.consoleErrors, [], 'no console errors (CSP refusals included)');
    assert.deepEqual(await rec.cspViolations(), [], 'no securitypolicyviolation events');
    assert.deepEqual(rec.foreignRequests, [], 'no request to a host other than 127.0.0.1');
  } catch (err) {
    if (rec && !rec.page.isClosed()) await rec.page.screenshot({ path: artifactPath('overview-scale-failure.png'), fullPage: false }).catch(() => undefined);
    throw err;
  } finally {
    await browser?.close();
    await dash.stop();
  }
});
