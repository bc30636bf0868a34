// The fault suite's verdict (pure): what InfluxDB, netmon.windows and netmon.deadletter hold,
// against the expected windows and dead letters, and the table the suite prints.
// Rules: a window is compared field for field as the store gives it back (InfluxDB's round trip, or
// the decoded topic record, latest revision); counts are of windows, not of differences.
import { decodeWindowResult, encodeWindowResult, type WindowResultInput } from '../../common/contracts/index.js';
import { MEASUREMENT_DEVICE, MEASUREMENT_INTERFACE, rowToWindow, windowToPoint } from '../../common/store/influx.js';
import type { Member } from './fault-procs.js';
import type { Rejection } from './fault-stream.js';

export const jsonBig = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
export const keyOf = (w: Pick<WindowResultInput, 'deviceId' | 'ifIndex' | 'windowStart'>) => `${JSON.stringify(w.deviceId)}/${w.ifIndex ?? '-'}/${w.windowStart}`;

/** What InfluxDB makes of a window (the same round trip the store's reads do). */
export function asStored(w: WindowResultInput): string {
  const p = windowToPoint(w);
  const row = { ...p.tags, ...p.fields, time: p.timestamp as Date };
  return jsonBig(rowToWindow(row, p.measurement === MEASUREMENT_DEVICE ? MEASUREMENT_DEVICE : MEASUREMENT_INTERFACE));
}

/** A window as netmon.windows carries it, decoded (the same shape for the reference and the topic). */
export const asPublished = (w: WindowResultInput) => jsonBig(decodeWindowResult(encodeWindowResult(w)));

export interface Read {
  partition: number;
  offset: number;
  /** The record's Kafka timestamp (its producer's send time). */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

/** What a fault run left behind, against the reference. */
export interface Outcome {
  recordsIn: number;
  windowsOut: number;
  /** Reference windows missing from, or different in, InfluxDB or netmon.windows (latest revision). */
  lost: number;
  /** Windows in a store that the reference does not have. */
  extra: number;
  /** Window records in netmon.windows repeating a (window, revision) already there. */
  duplicated: number;
  /** The same (window, revision) with different contents in netmon.windows (a stale writer). */
  conflicts: number;
  /** Dead letters on the topic (a record a sink refuses as windows has one per window). */
  deadLettered: number;
  /** Records that must be rejected. */
  expectedDead: number;
  /** Rejected records with no dead letter (or one without the reason asked for). */
  missingDead: string[];
  /** Dead letters for records that should have made windows. */
  unexpectedDead: string[];
  /** The first differences, for the failure message. */
  diffs: string[];
}

export const clean = (o: Outcome) => o.lost === 0 && o.extra === 0 && o.conflicts === 0 && o.missingDead.length === 0 && o.unexpectedDead.length === 0;

export interface Row {
  fault: string;
  outcome: Outcome | null;
  crashes: number;
  /** Members that did not stop cleanly on SIGTERM at the end. */
  unclean: string[];
  note: string;
}

/** The table the suite prints: fault | records in | windows out | lost | duplicated | dead-lettered. */
export function formatTable(rows: Row[]): string {
  const head = ['fault', 'records in', 'windows out', 'lost', 'duplicated', 'dead-lettered', 'verdict'];
  const body = rows.map((r) => {
    const o = r.outcome;
    if (!o) return [r.fault, '-', '-', '-', '-', '-', `not measured: ${r.note}`];
    const problems = [
      o.extra ? `${o.extra} unexpected windows` : '',
      o.conflicts ? `${o.conflicts} conflicting revisions` : '',
      o.missingDead.length ? `${o.missingDead.length} rejected records without dead letter` : '',
      o.unexpectedDead.length ? `${o.unexpectedDead.length} valid records dead-lettered` : '',
      r.crashes ? `${r.crashes} processor exits` : '',
      ...r.unclean,
    ].filter(Boolean);
    return [r.fault, String(o.recordsIn), String(o.windowsOut), String(o.lost), String(o.duplicated), `${o.deadLettered} for ${o.expectedDead} rejected`, `${clean(o) ? 'exact' : 'WRONG'}${problems.length ? `; ${problems.join('; ')}` : ''}`];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export interface ExpectedDead {
  partition: number;
  offset: number;
  label: string;
  rejection: Rejection;
}

export interface Expected {
  stored: Map<string, string>;
  published: Map<string, string>;
  dead: ExpectedDead[];
  /** Devices whose windows a sink must refuse (they may or may not reach netmon.windows). */
  sinkRejected: Set<string>;
}

interface DeadLetterView {
  raw: string;
  reason: unknown;
  topic: unknown;
  partition: unknown;
  offset: unknown;
}

/** The fields in which two window texts differ (both JSON objects), or the texts when one is not. */
export function fieldDiff(want: string, got: string | undefined): string {
  if (got === undefined) return `want ${want}\n     got (none)`;
  let a: Record<string, unknown>;
  let b: Record<string, unknown>;
  try {
    a = JSON.parse(want) as Record<string, unknown>;
    b = JSON.parse(got) as Record<string, unknown>;
  } catch {
    return `want ${want}\n     got ${got}`;
  }
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const differing = keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  return differing.map((k) => `${k}: want ${JSON.stringify(a[k]) ?? '(absent)'}, got ${JSON.stringify(b[k]) ?? '(absent)'}`).join('; ');
}

export function compare(want: Expected, recordsIn: number, stored: Map<string, string>, windowRecords: Read[], deadRecords: Read[], samplesTopic: string): Outcome {
  const diffs: string[] = [];
  const lostKeys = new Set<string>();
  for (const [k, v] of want.stored) {
    const got = stored.get(k);
    if (got !== v) {
      lostKeys.add(k);
      diffs.push(`InfluxDB ${k}: ${fieldDiff(v, got)}`);
    }
  }
  let extra = 0;
  for (const k of stored.keys()) {
    if (!want.stored.has(k)) {
      extra++;
      diffs.push(`InfluxDB ${k}: not expected: ${stored.get(k)}`);
    }
  }

  // netmon.windows: every revision is a record; the latest per window must be the reference's.
  const byRevision = new Map<string, string>();
  const latest = new Map<string, { revision: number; text: string }>();
  let duplicated = 0;
  let conflicts = 0;
  for (const m of windowRecords) {
    let w: WindowResultInput;
    try {
      w = decodeWindowResult(m.value);
    } catch (err) {
      conflicts++;
      diffs.push(`netmon.windows ${m.partition}/${m.offset}: undecodable: ${(err as Error).message}`);
      continue;
    }
    const text = jsonBig(w);
    const rk = `${keyOf(w)}#${w.revision}`;
    const seen = byRevision.get(rk);
    if (seen !== undefined) {
      duplicated++;
      if (seen !== text) {
        conflicts++;
        diffs.push(`netmon.windows ${rk}: two different records of one revision:\n     ${seen}\n     ${text}`);
      }
      continue;
    }
    byRevision.set(rk, text);
    const l = latest.get(keyOf(w));
    if (!l || w.revision > l.revision) latest.set(keyOf(w), { revision: w.revision, text });
  }
  for (const [k, v] of want.published) {
    const got = latest.get(k)?.text;
    if (got !== v) {
      lostKeys.add(k);
      diffs.push(`netmon.windows ${k}: ${fieldDiff(v, got)}`);
    }
  }
  for (const [k, l] of latest) {
    if (want.published.has(k) || [...want.sinkRejected].some((d) => k.startsWith(`${JSON.stringify(d)}/`))) continue;
    extra++;
    diffs.push(`netmon.windows ${k}: not expected: ${l.text}`);
  }

  // Dead letters: every rejected record has one with a reason; no valid record has one.
  const letters: DeadLetterView[] = deadRecords.map((m) => {
    const raw = m.value?.toString('utf8') ?? '';
    try {
      const d = JSON.parse(raw) as Record<string, unknown>;
      return { raw, reason: d.reason, topic: d.topic, partition: d.partition, offset: d.offset };
    } catch {
      return { raw, reason: undefined, topic: undefined, partition: undefined, offset: undefined };
    }
  });
  const matchesRecord = (d: DeadLetterView, e: ExpectedDead) => d.topic === samplesTopic && Number(d.partition) === e.partition && String(d.offset) === String(e.offset);
  const matchesDevice = (d: DeadLetterView, e: ExpectedDead) => e.rejection.device !== undefined && d.raw.includes(JSON.stringify(e.rejection.device).slice(1, -1));
  const hasReason = (d: DeadLetterView, e: ExpectedDead) => typeof d.reason === 'string' && d.reason.length > 0 && (!e.rejection.reason || e.rejection.reason.test(d.reason));
  const used = new Set<DeadLetterView>();
  const missingDead: string[] = [];
  for (const e of want.dead) {
    const found = letters.filter((d) => matchesRecord(d, e) || matchesDevice(d, e));
    found.forEach((d) => used.add(d));
    if (found.length === 0) missingDead.push(`${e.label} (partition ${e.partition}, offset ${e.offset}): no dead letter`);
    else if (!found.some((d) => hasReason(d, e))) missingDead.push(`${e.label}: dead letter without the reason wanted (${e.rejection.reason ?? 'any'}): ${String(found[0].reason).slice(0, 200)}`);
  }
  const unexpectedDead = letters.filter((d) => !used.has(d)).map((d) => `partition ${String(d.partition)} offset ${String(d.offset)}: ${typeof d.reason === 'string' ? d.reason.slice(0, 200) : `(no reason) ${d.raw.slice(0, 200)}`}`);
  return {
    recordsIn,
    windowsOut: windowRecords.length,
    lost: lostKeys.size,
    extra,
    duplicated,
    conflicts,
    deadLettered: deadRecords.length,
    expectedDead: want.dead.length,
    missingDead,
    unexpectedDead,
    diffs,
  };
}

/** A failure message: the figures and the first differences. */
export function explain(o: Outcome, member: Member[]): string {
  return [
    `lost ${o.lost}, extra ${o.extra}, conflicting revisions ${o.conflicts}, duplicated ${o.duplicated}`,
    `dead letters ${o.deadLettered} for ${o.expectedDead} rejected records; missing: ${o.missingDead.length}; unexpected: ${o.unexpectedDead.length}`,
    ...o.missingDead.slice(0, 5).map((s) => `  missing dead letter: ${s}`),
    ...o.unexpectedDead.slice(0, 5).map((s) => `  unexpected dead letter: ${s}`),
    `${o.diffs.length} difference(s), first ones:`,
    ...o.diffs.slice(0, 8).map((d) => (d.length > 900 ? `${d.slice(0, 900)}...` : d)),
    ...member.map((m) => `--- ${m.name}: ${m.crashes()} exits on its own; whole log in ${m.logFile}; stderr tail:\n${m.stderr().slice(-1500)}`),
  ].join('\n');
}
