// The alert evaluator: a pure, deterministic fold over emitted windows per (rule, device, interface).
// Event time only (window starts), never the wall clock. States ok -> pending -> firing -> (resolved) ok.
// Rules it keeps:
// - a window covered less than the rule's minCoverage is missing data: it changes nothing (neither
//   fires, resolves, counts towards "for N" nor breaks a run);
// - hysteresis: fire when `value cmp threshold`, resolve only when the value is back across clearThreshold;
//   between the two ("band") a firing alert stays firing and a pending one is cancelled;
// - flapping: more than K flips of the condition (breach <-> clear) within the last M windows holds the
//   alert firing (marked flapping) until the flips fall to K or fewer;
// - a re-delivered window (same or lower revision than applied) is ignored; a higher revision of a
//   window still in the recent history re-evaluates from there (only transitions not emitted before
//   come out); a window older than the history is counted as too late and ignored.
// The per-scope state (incl. the recent history with the applied revisions) is plain JSON, so it can
// be persisted and restored: restore + continue gives the same events as an uninterrupted run.
import type { AlertRule, AlertMetric } from '../../common/config/alerts-schema.js';
import type { AlertEventInput, AlertTransition } from '../../common/contracts/alert-event.js';
import type { WindowResultInput } from '../../common/contracts/window-result.js';

export type AlertPhase = 'ok' | 'pending' | 'firing';
/** An AlertEvent as the evaluator makes it: every optional field of the contract set. */
export type EvaluatedAlert = AlertEventInput & Required<Pick<AlertEventInput, 'id' | 'transition' | 'ifName' | 'clearThreshold' | 'comparator' | 'firingSince' | 'flapping' | 'windowRevision' | 'coverage' | 'channels'>>;
type Cond = 'breach' | 'clear' | 'band' | 'missing';

interface Core {
  phase: AlertPhase;
  breachRun: number;
  clearRun: number;
  firingSince: number | null;
  lastNotified: number | null;
  lastCond: 'breach' | 'clear' | null;
  flips: number[];
  flapping: boolean;
}

interface Entry {
  start: number;
  end: number;
  revision: number;
  value: number | null;
  coverage: number;
  /** Ids of the events this window produced when it was last evaluated. */
  events: string[];
}

/** Everything about one (rule, scope), JSON-serialisable (persisted to the alert-state topic). */
export interface ScopeState {
  key: string;
  ruleId: string;
  deviceId: string;
  ifIndex: number | null;
  ifName: string | null;
  /** State before the oldest history entry. */
  base: Core;
  /** Start of the newest window folded into `base` (older windows are too late). */
  foldedUpTo: number | null;
  /** Recent windows in start order (bounded), for revisions. */
  history: Entry[];
  /** State after the newest entry. */
  current: Core;
}

export interface EvaluatorOptions {
  rules: readonly AlertRule[];
  windowMs: number;
  /** Tags of a device (rule scopes by tag); unknown devices have none. */
  tagsOf: (deviceId: string) => readonly string[];
  /** Windows kept per scope for revisions (default 16). */
  historySize?: number;
}

export interface EvaluationResult {
  events: EvaluatedAlert[];
  /** States that changed (persist these before committing the input's offsets). */
  changed: ScopeState[];
  /** Windows ignored: re-deliveries and windows older than the history. */
  ignored: { redelivered: number; tooLate: number };
  /** (rule, window) pairs applied. */
  applied: number;
}

export interface AlertEvaluator {
  restore(states: Iterable<ScopeState>): void;
  evaluate(windows: readonly WindowResultInput[], extras?: WindowExtras): EvaluationResult;
  states(): ScopeState[];
}

export function scopeKey(ruleId: string, deviceId: string, ifIndex: number | null): string {
  return `${ruleId}|${deviceId}|${ifIndex ?? '-'}`;
}

export function alertEventId(ruleId: string, deviceId: string, ifIndex: number | null, transition: AlertTransition, windowStart: number): string {
  return `${ruleId}:${deviceId}:${ifIndex ?? 'device'}:${transition}:${windowStart}`;
}

/** What the evaluator needs beyond the window itself (from the samples, see oper-status.ts). */
export interface WindowExtras {
  /** Fraction of the window's polls that saw the interface oper-down; null when unknown. */
  operDown(w: WindowResultInput): number | null;
  /** Fraction of the window's polls that found the device unreachable; null when unknown. */
  unreachable(w: WindowResultInput): number | null;
}

const NO_EXTRAS: WindowExtras = { operDown: () => null, unreachable: () => null };

/** The metric's value in a window, or null when the window cannot tell (unknown speed, no coverage). */
export function metricValue(metric: AlertMetric, w: WindowResultInput, windowMs: number, extras: WindowExtras = NO_EXTRAS): number | null {
  const coveredS = (w.coverage * windowMs) / 1000;
  const perS = (n: bigint) => (coveredS > 0 ? Number(n) / coveredS : null);
  switch (metric) {
    case 'in_bps': return w.inBps;
    case 'out_bps': return w.outBps;
    case 'in_utilization': return w.inUtilization;
    case 'out_utilization': return w.outUtilization;
    case 'in_pps': return w.inPps;
    case 'out_pps': return w.outPps;
    case 'in_errors_ps': return perS(w.inErrors);
    case 'out_errors_ps': return perS(w.outErrors);
    case 'in_discards_ps': return perS(w.inDiscards);
    case 'out_discards_ps': return perS(w.outDiscards);
    case 'oper_down': return w.ifIndex === null ? null : extras.operDown(w);
    case 'device_unreachable': return w.ifIndex === null ? extras.unreachable(w) : null;
  }
}

function compare(cmp: AlertRule['comparator'], v: number, t: number): boolean {
  return cmp === '>' ? v > t : cmp === '>=' ? v >= t : cmp === '<' ? v < t : v <= t;
}

function condOf(rule: AlertRule, e: Entry): Cond {
  if (e.value === null || e.coverage < rule.minCoverage) return 'missing';
  if (compare(rule.comparator, e.value, rule.threshold)) return 'breach';
  const clear = rule.clearThreshold ?? rule.threshold;
  // Clear when the value is no longer across the clear threshold.
  return compare(rule.comparator, e.value, clear) ? 'band' : 'clear';
}

export const initialCore = (): Core => ({ phase: 'ok', breachRun: 0, clearRun: 0, firingSince: null, lastNotified: null, lastCond: null, flips: [], flapping: false });

const cloneCore = (c: Core): Core => ({ ...c, flips: [...c.flips] });

/** One window applied to one scope's state: the transitions it causes. */
function step(rule: AlertRule, c0: Core, e: Entry, windowMs: number): { core: Core; transitions: AlertTransition[] } {
  const cond = condOf(rule, e);
  if (cond === 'missing') return { core: c0, transitions: [] };
  const c = cloneCore(c0);
  const out: AlertTransition[] = [];
  if (cond !== 'band') {
    if (c.lastCond !== null && c.lastCond !== cond) c.flips.push(e.start);
    c.lastCond = cond;
  }
  const horizon = e.start - rule.flapping.windows * windowMs;
  c.flips = c.flips.filter((s) => s > horizon);
  const flapping = c.flips.length > rule.flapping.flips;

  if (c.phase !== 'firing') {
    if (cond === 'breach') {
      c.breachRun += 1;
      if (c.breachRun >= rule.forWindows || flapping) {
        c.phase = 'firing';
        c.firingSince = e.start;
        c.lastNotified = e.start;
        c.clearRun = 0;
        out.push('firing');
      } else if (c.phase === 'ok') {
        c.phase = 'pending';
        out.push('pending');
      }
    } else {
      if (c.phase === 'pending') out.push('cancelled');
      c.phase = 'ok';
      c.breachRun = 0;
    }
  } else {
    c.clearRun = cond === 'clear' ? c.clearRun + 1 : 0;
    if (cond === 'clear' && c.clearRun >= rule.clearForWindows && !flapping) {
      c.phase = 'ok';
      c.breachRun = 0;
      c.clearRun = 0;
      c.firingSince = null;
      c.lastNotified = null;
      out.push('resolved');
    } else if (flapping && !c.flapping) {
      c.lastNotified = e.start;
      out.push('flapping');
    } else if (rule.repeatIntervalSeconds > 0 && c.lastNotified !== null && e.start - c.lastNotified >= rule.repeatIntervalSeconds * 1000) {
      c.lastNotified = e.start;
      out.push('repeat');
    }
  }
  c.flapping = c.phase === 'firing' && flapping;
  return { core: c, transitions: out };
}

const STATE_OF: Record<AlertTransition, AlertEventInput['state']> = {
  pending: 'pending', firing: 'firing', repeat: 'firing', flapping: 'firing', resolved: 'resolved', cancelled: 'ok',
};

function describe(rule: AlertRule, s: ScopeState, t: AlertTransition, value: number | null, flapping: boolean): string {
  const where = s.ifIndex === null ? `device ${s.deviceId}` : `${s.deviceId} ${s.ifName ?? `ifIndex ${s.ifIndex}`}`;
  const v = value === null ? 'n/a' : Number.isInteger(value) ? String(value) : value.toFixed(3);
  const what = `${rule.metric} ${v} ${rule.comparator} ${rule.threshold}`;
  const head = t === 'resolved' ? `RESOLVED ${rule.id} on ${where}: ${rule.metric} ${v} (clear at ${rule.clearThreshold ?? rule.threshold})`
    : t === 'cancelled' ? `cancelled ${rule.id} on ${where}: ${rule.metric} ${v}`
      : `${t.toUpperCase()} ${rule.id} on ${where}: ${what}${flapping ? ' (flapping)' : ''}`;
  return (rule.description ? `${head} - ${rule.description}` : head).slice(0, 2048);
}

function toEvent(rule: AlertRule, s: ScopeState, e: Entry, core: Core, t: AlertTransition): EvaluatedAlert {
  return {
    id: alertEventId(rule.id, s.deviceId, s.ifIndex, t, e.start),
    ruleId: rule.id,
    deviceId: s.deviceId,
    ifIndex: s.ifIndex,
    ifName: s.ifName,
    state: STATE_OF[t],
    transition: t,
    severity: rule.severity,
    metric: rule.metric,
    value: e.value,
    threshold: rule.threshold,
    clearThreshold: rule.clearThreshold ?? rule.threshold,
    comparator: rule.comparator,
    windowStart: e.start,
    windowRevision: e.revision,
    coverage: e.coverage,
    ts: e.end,
    firingSince: t === 'resolved' ? null : core.firingSince,
    flapping: core.flapping,
    channels: [...rule.channels],
    message: describe(rule, s, t, e.value, core.flapping),
  };
}

/**
 * The event that ends a scope's alert because its rule went away (removed, or given another metric
 * or scope, `why` says which): a firing alert resolves, a pending one is cancelled, one that is ok
 * needs nothing (null). It refers to the newest window the scope applied, so its id is as
 * deterministic as the evaluator's own; consumers (notifier, dashboard) end the alert by it.
 */
export function ruleEndEvent(rule: AlertRule, s: ScopeState, windowMs: number, why: string): EvaluatedAlert | null {
  const phase = s.current.phase;
  if (phase === 'ok') return null;
  const start = s.history.at(-1)?.start ?? s.foldedUpTo;
  if (start === null) return null;
  const last: Entry = s.history.at(-1) ?? { start, end: start + windowMs, revision: 0, value: null, coverage: 0, events: [] };
  const t: AlertTransition = phase === 'firing' ? 'resolved' : 'cancelled';
  const event = toEvent(rule, s, last, s.current, t);
  const where = s.ifIndex === null ? `device ${s.deviceId}` : `${s.deviceId} ${s.ifName ?? `ifIndex ${s.ifIndex}`}`;
  event.message = `${t === 'resolved' ? 'RESOLVED' : 'cancelled'} ${rule.id} on ${where}: ${why}`.slice(0, 2048);
  return event;
}

function fullMatch(pattern: string, text: string): boolean {
  return new RegExp(`^(?:${pattern})$`).test(text);
}

export function ruleMatches(rule: AlertRule, w: Pick<WindowResultInput, 'deviceId' | 'ifIndex' | 'ifName'>, tags: readonly string[]): boolean {
  if (!rule.enabled) return false;
  const sc = rule.scope;
  if ((sc.target === 'device') !== (w.ifIndex === null)) return false;
  if (sc.devices.length > 0 || sc.tags.length > 0) {
    if (!sc.devices.includes(w.deviceId) && !sc.tags.some((t) => tags.includes(t))) return false;
  }
  if (sc.interfaces.length > 0 && w.ifIndex !== null) {
    if (w.ifName === null || !sc.interfaces.some((p) => fullMatch(p, w.ifName ?? ''))) return false;
  }
  return true;
}

export function createAlertEvaluator(opts: EvaluatorOptions): AlertEvaluator {
  const historySize = opts.historySize ?? 16;
  const rules = new Map(opts.rules.map((r) => [r.id, r]));
  const scopes = new Map<string, ScopeState>();

  /** Re-folds the history from `from` on; returns the events not emitted before. */
  function refold(rule: AlertRule, s: ScopeState, from: number): EvaluatedAlert[] {
    let core = s.base;
    for (let i = 0; i < from; i++) core = step(rule, core, s.history[i], opts.windowMs).core;
    const fresh: EvaluatedAlert[] = [];
    for (let i = from; i < s.history.length; i++) {
      const e = s.history[i];
      const r = step(rule, core, e, opts.windowMs);
      core = r.core;
      const events = r.transitions.map((t) => toEvent(rule, s, e, core, t));
      for (const ev of events) if (!e.events.includes(ev.id)) fresh.push(ev);
      e.events = events.map((ev) => ev.id);
    }
    s.current = core;
    // Bound the history: fold the oldest entries into the base.
    while (s.history.length > historySize) {
      const e = s.history.shift();
      if (e) {
        s.base = step(rule, s.base, e, opts.windowMs).core;
        s.foldedUpTo = e.start;
      }
    }
    return fresh;
  }

  return {
    restore(states) {
      // States of rules this evaluator does not have (removed, or evaluated elsewhere) are left out.
      for (const s of states) if (rules.has(s.ruleId)) scopes.set(s.key, structuredClone(s));
    },
    evaluate(windows, extras = NO_EXTRAS) {
      const events: EvaluatedAlert[] = [];
      const changed = new Map<string, ScopeState>();
      const ignored = { redelivered: 0, tooLate: 0 };
      let applied = 0;
      for (const w of windows) {
        const tags = opts.tagsOf(w.deviceId);
        for (const rule of rules.values()) {
          if (!ruleMatches(rule, w, tags)) continue;
          const key = scopeKey(rule.id, w.deviceId, w.ifIndex);
          let s = scopes.get(key);
          if (!s) {
            s = { key, ruleId: rule.id, deviceId: w.deviceId, ifIndex: w.ifIndex, ifName: w.ifName, base: initialCore(), foldedUpTo: null, history: [], current: initialCore() };
            scopes.set(key, s);
          }
          if (w.ifName !== null) s.ifName = w.ifName;
          const entry: Entry = { start: w.windowStart, end: w.windowEnd, revision: w.revision, value: metricValue(rule.metric, w, opts.windowMs, extras), coverage: w.coverage, events: [] };
          const i = s.history.findIndex((e) => e.start >= w.windowStart);
          let from: number;
          if (i === -1) {
            if (s.foldedUpTo !== null && w.windowStart <= s.foldedUpTo) {
              ignored.tooLate += 1;
              continue;
            }
            s.history.push(entry);
            from = s.history.length - 1;
          } else if (s.history[i].start === w.windowStart) {
            if (w.revision <= s.history[i].revision) {
              ignored.redelivered += 1;
              continue;
            }
            entry.events = s.history[i].events;
            s.history[i] = entry;
            from = i;
          } else if (i === 0 && s.foldedUpTo !== null) {
            ignored.tooLate += 1;
            continue;
          } else {
            s.history.splice(i, 0, entry);
            from = i;
          }
          const before = s.current.phase;
          const fresh = refold(rule, s, from);
          // A revision that undoes an emitted transition without a new one: say so, so consumers do not keep a stale state.
          const last = s.history[s.history.length - 1];
          const after = s.current.phase;
          const undo: AlertTransition | null = before === 'firing' && after !== 'firing' ? 'resolved' : before === 'pending' && after === 'ok' ? 'cancelled' : null;
          if (undo && last && fresh.length === 0) {
            const ev = toEvent(rule, s, last, s.current, undo);
            if (!last.events.includes(ev.id)) {
              last.events.push(ev.id);
              fresh.push(ev);
            }
          }
          events.push(...fresh);
          changed.set(key, s);
          applied += 1;
        }
      }
      return { events, changed: [...changed.values()].map((s) => structuredClone(s)), ignored, applied };
    },
    states: () => [...scopes.values()].map((s) => structuredClone(s)),
  };
}
