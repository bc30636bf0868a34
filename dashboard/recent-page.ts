// Paging of the feed's recent windows, for GET /api/recent and the /live hello: both are bounded
// (dashboard.limits), so one request or one connection never serializes everything the feed keeps
// (60 windows x every series: tens of MB for a few thousand interfaces). Rules: the order is the
// newest first (windowStart descending), then deviceId, then ifIndex (the device total first), so
// the first page is what a page needs to draw now; a cursor names the last window of a page and
// the next page starts strictly after it in that order, so windows that arrive meanwhile never
// repeat or shift a page (they sort before the cursor); the cursor is opaque text (base64url JSON).
import type { WindowResult } from '../common/contracts/window-result.js';
import { InputError } from '../common/errors.js';

type Key = readonly [windowStart: number, deviceId: string, ifIndex: number];

/** The device total (ifIndex null) sorts before the device's interfaces. */
const keyOf = (w: WindowResult): Key => [w.windowStart, w.deviceId, w.ifIndex ?? -1];

/** Negative when `a` comes first: newest first, then device id, then ifIndex. */
function compareKeys(a: Key, b: Key): number {
  if (a[0] !== b[0]) return b[0] - a[0];
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return a[2] - b[2];
}

/** compareKeys without building the keys (a sort of a few hundred thousand windows). */
function compareWindows(a: WindowResult, b: WindowResult): number {
  if (a.windowStart !== b.windowStart) return b.windowStart - a.windowStart;
  if (a.deviceId !== b.deviceId) return a.deviceId < b.deviceId ? -1 : 1;
  return (a.ifIndex ?? -1) - (b.ifIndex ?? -1);
}

export function encodeCursor(w: WindowResult): string {
  return Buffer.from(JSON.stringify(keyOf(w)), 'utf8').toString('base64url');
}

/** A cursor back into its key; an InputError naming `field` when it is not one this server made. */
export function decodeCursor(text: string, field = 'before'): Key {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    v = null;
  }
  if (!Array.isArray(v) || v.length !== 3 || !Number.isSafeInteger(v[0]) || typeof v[1] !== 'string' || !Number.isSafeInteger(v[2])) {
    throw new InputError(field, 'is not a cursor from a previous page (use the Link header of the page before)', { message: `querystring/${field} is not a cursor from a previous page` });
  }
  return v as unknown as Key;
}

export interface WindowPage {
  windows: WindowResult[];
  /** The cursor of the next page, or null when this page is the last. */
  next: string | null;
}

/** One page of `windows` (any order) in the paging order: at most `limit`, after `before` when given. */
export function pageWindows(windows: readonly WindowResult[], opts: { limit: number; before?: string; device?: string }): WindowPage {
  const after = opts.before === undefined ? null : decodeCursor(opts.before);
  const candidates = windows.filter((w) => (opts.device === undefined || w.deviceId === opts.device) && (after === null || compareKeys(keyOf(w), after) > 0));
  candidates.sort(compareWindows);
  const page = candidates.slice(0, Math.max(0, opts.limit));
  const last = page.at(-1);
  return { windows: page, next: candidates.length > page.length && last ? encodeCursor(last) : null };
}
