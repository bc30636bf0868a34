// Helpers for the real-browser tests: Debian's Chromium driven by playwright-core (no browser
// download), a fresh context that cannot reach anything but 127.0.0.1, and recorders for what the
// page did wrong (console errors, uncaught exceptions, CSP violations, foreign requests).
// Tests fail, never skip, when Chromium is missing: `npm test` installs it (scripts/install-browser.sh).
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium; without it (no root to install it), the launcher scripts/install-browser.sh
 * writes for the copy it unpacked in this user's cache. */
export const CHROMIUM_PATH = existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'netmon', 'chromium');

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  // Even with the flags above, the browser process itself looks up update.googleapis.com and
  // accounts.google.com (seen with tcpdump, Chromium 156 on Debian 12). Page-level routing cannot see
  // that, so every host name resolves to "not found": nothing but 127.0.0.1 is reachable.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing: run \`bash scripts/install-browser.sh\` (or \`npm test\`, which does)`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** 127.0.0.1 only: the dashboard is served from there and must need nothing else. */
export function isLoopback(url: string): boolean {
  try {
    const u = new URL(url);
    // data: URLs (the page's empty favicon) never leave the browser.
    if (u.protocol === 'data:' || u.protocol === 'about:') return true;
    return u.hostname === '127.0.0.1';
  } catch {
    return false;
  }
}

export interface CspViolation {
  directive: string;
  blockedURI: string;
  sourceFile: string;
}

export interface PageRecorder {
  readonly page: Page;
  readonly context: BrowserContext;
  /** console.error messages (CSP refusals show up here too). */
  readonly consoleErrors: string[];
  /** console.warn messages (app.js warns when a REST call fails). */
  readonly consoleWarnings: string[];
  /** Uncaught exceptions in the page. */
  readonly pageErrors: string[];
  /** Every request the page made (HTTP and WebSocket), by URL. */
  readonly requests: string[];
  /** url -> HTTP status of each response. */
  readonly responses: { url: string; status: number }[];
  readonly failedRequests: string[];
  /** Requests to anything but 127.0.0.1 (aborted before they leave). */
  readonly foreignRequests: string[];
  /** securitypolicyviolation events seen by the page. */
  cspViolations(): Promise<CspViolation[]>;
}

/**
 * A fresh context and page. Every request to a host other than 127.0.0.1 is recorded and aborted,
 * so a stray CDN reference fails the test instead of quietly reaching the internet. The page's
 * CSP is left on (no bypassCSP): a violation is a test failure, not something to work around.
 */
export async function openRecordedPage(browser: Browser): Promise<PageRecorder> {
  const context = await browser.newContext({ serviceWorkers: 'block', viewport: { width: 1280, height: 900 } });
  const rec = {
    consoleErrors: [] as string[],
    consoleWarnings: [] as string[],
    pageErrors: [] as string[],
    requests: [] as string[],
    responses: [] as { url: string; status: number }[],
    failedRequests: [] as string[],
    foreignRequests: [] as string[],
  };
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (isLoopback(url)) await route.continue();
    else await route.abort('blockedbyclient');
  });
  // Runs before the page's own scripts (through the DevTools protocol, so the CSP does not stop it).
  await context.addInitScript(() => {
    const g = globalThis as unknown as PageGlobals;
    const seen: CspViolation[] = [];
    g.__cspViolations = seen;
    g.document.addEventListener('securitypolicyviolation', (e) => {
      seen.push({ directive: e.violatedDirective, blockedURI: e.blockedURI, sourceFile: e.sourceFile });
    });
  });
  const page = await context.newPage();
  page.on('console', (msg) => {
    const line = `${msg.text()} (${msg.location().url}:${msg.location().lineNumber})`;
    if (msg.type() === 'error') rec.consoleErrors.push(line);
    else if (msg.type() === 'warning') rec.consoleWarnings.push(line);
  });
  page.on('pageerror', (err) => rec.pageErrors.push(err.stack ?? err.message));
  page.on('request', (req) => {
    rec.requests.push(req.url());
    if (!isLoopback(req.url())) rec.foreignRequests.push(req.url());
  });
  page.on('websocket', (ws) => {
    rec.requests.push(ws.url());
    if (!/^wss?:\/\/127\.0\.0\.1[:/]/.test(ws.url())) rec.foreignRequests.push(ws.url());
  });
  page.on('response', (res) => rec.responses.push({ url: res.url(), status: res.status() }));
  page.on('requestfailed', (req) => rec.failedRequests.push(`${req.url()}: ${req.failure()?.errorText ?? 'failed'}`));
  return {
    page,
    context,
    ...rec,
    cspViolations: () => page.evaluate(() => (globalThis as unknown as PageGlobals).__cspViolations ?? []),
  };
}

/** Where screenshots go: $NETMON_TEST_ARTIFACTS (set by `npm test`) or ./test-artifacts. */
export function artifactPath(name: string): string {
  const dir = resolve(process.env.NETMON_TEST_ARTIFACTS ?? 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

export interface CanvasInk {
  /** Canvas pixels that are not fully transparent (axes, labels, legend, lines). */
  painted: number;
  /** Pixels in the "in" series colour inside the chart's plot area (the data itself, not the legend). */
  inSeries: number;
  /** The points chart.js holds for the "in" series. */
  inData: (number | null)[];
  width: number;
  height: number;
}

/** The points chart.js holds for a card's "in" series (no pixel readback, so cheap to poll). */
export async function chartPoints(page: Page, cardSelector: string): Promise<(number | null)[]> {
  return page.evaluate((sel) => {
    const g = globalThis as unknown as PageGlobals;
    const canvas = g.document.querySelector(`${sel} canvas`);
    const chart = canvas ? g.Chart.getChart(canvas) : undefined;
    return chart ? [...chart.data.datasets[0].data] : [];
  }, cardSelector);
}

/**
 * Reads back what chart.js drew on a card's canvas. Call it once per page: Chromium warns on the
 * console when a canvas without willReadFrequently is read back repeatedly.
 */
export async function canvasInk(page: Page, cardSelector: string): Promise<CanvasInk> {
  return page.evaluate((sel) => {
    const g = globalThis as unknown as PageGlobals;
    const canvas = g.document.querySelector(`${sel} canvas`);
    if (!canvas) throw new Error(`no canvas in ${sel}`);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2d context');
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;

    const chart = g.Chart.getChart(canvas);
    if (!chart?.chartArea) throw new Error('no chart.js chart on the canvas');
    const r = chart.currentDevicePixelRatio ?? g.devicePixelRatio;
    const a = chart.chartArea;
    // The plot area plus the radius of an isolated point on its edges.
    const x0 = Math.max(0, Math.floor((a.left - 4) * r));
    const y0 = Math.max(0, Math.floor((a.top - 4) * r));
    const w = Math.min(canvas.width - x0, Math.ceil((a.right - a.left + 8) * r));
    const h = Math.min(canvas.height - y0, Math.ceil((a.bottom - a.top + 8) * r));
    // #2563eb, the "in" colour in app.js; anti-aliased edges are close to it, so allow some slack.
    // (One readback of the whole canvas: a second getImageData makes Chromium warn on the console.)
    let inSeries = 0;
    for (let y = y0; y < y0 + h; y++) {
      for (let x = x0; x < x0 + w; x++) {
        const i = (y * canvas.width + x) * 4;
        if (data[i + 3] > 128 && Math.abs(data[i] - 0x25) < 40 && Math.abs(data[i + 1] - 0x63) < 40 && Math.abs(data[i + 2] - 0xeb) < 40) inSeries++;
      }
    }
    return { painted, inSeries, inData: [...chart.data.datasets[0].data], width: canvas.width, height: canvas.height };
  }, cardSelector);
}

// The page-side functions above run in Chromium, but this project compiles without the DOM lib
// (adding it would change the types of every Node module), so they name the few browser APIs they use.
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

interface ChartLike {
  chartArea?: { left: number; top: number; right: number; bottom: number };
  currentDevicePixelRatio?: number;
  data: { datasets: { data: (number | null)[] }[] };
}

interface PageGlobals {
  __cspViolations?: CspViolation[];
  devicePixelRatio: number;
  document: {
    querySelector(selector: string): CanvasLike | null;
    addEventListener(type: 'securitypolicyviolation', listener: (e: { violatedDirective: string; blockedURI: string; sourceFile: string }) => void): void;
  };
  Chart: { getChart(canvas: CanvasLike): ChartLike | undefined };
}
