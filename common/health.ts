// Degraded health: which dependency (kafka, influxdb, ...) a process cannot reach right now, since
// when, and the last error it gave. The components that talk to a dependency report every outcome
// (a send that failed with a transient error: down; the next one that succeeds: up); /healthz and
// the metrics read it. Rules: one tracker per process, kept with its metrics registry (healthOf), so
// components and the HTTP handlers that never meet still see the same state; a dependency nobody has
// reported is not listed (and not down); the clock is injected.
import { Gauge, type Registry } from 'prom-client';
import type { Clock } from './clock.js';
import { errorMessage } from './errors.js';

export interface DependencyState {
  dependency: string;
  up: boolean;
  /** Epoch ms of the last change between up and down (the first report when there was none). */
  since: number;
  /** The error that took it down (kept after it came back up, for the record). */
  lastError: string | null;
}

export interface HealthReport {
  ok: boolean;
  status: 'ok' | 'degraded';
  /** Every dependency reported so far, down ones first. */
  dependencies: Array<{ dependency: string; up: boolean; since: string; lastError: string | null }>;
}

export interface Health {
  up(dependency: string): void;
  down(dependency: string, err: unknown): void;
  states(): DependencyState[];
  /** What /healthz answers (HTTP 503 when `ok` is false). */
  report(): HealthReport;
}

/** Longest error text kept per dependency (an error can quote a whole request). */
const MAX_ERROR_CHARS = 500;

export function createHealth(registry: Registry, clock: Clock): Health {
  const states = new Map<string, DependencyState>();
  const upGauge = new Gauge({ name: 'netmon_dependency_up', help: 'Whether the process reaches the dependency (1) or its sends fail and are being retried (0)', labelNames: ['dependency'], registers: [registry] });
  const sinceGauge = new Gauge({ name: 'netmon_dependency_down_since_seconds', help: 'Unix time (s) since when the dependency has been down; 0 while it is up', labelNames: ['dependency'], registers: [registry] });

  function set(dependency: string, up: boolean, err: string | null): void {
    const old = states.get(dependency);
    if (old && old.up === up) {
      if (!up) old.lastError = err;
      return;
    }
    const now = clock.now();
    states.set(dependency, { dependency, up, since: now, lastError: up ? (old?.lastError ?? null) : err });
    upGauge.set({ dependency }, up ? 1 : 0);
    sinceGauge.set({ dependency }, up ? 0 : now / 1000);
  }

  return {
    up: (dependency) => set(dependency, true, null),
    down: (dependency, err) => set(dependency, false, errorMessage(err).slice(0, MAX_ERROR_CHARS)),
    states: () => [...states.values()].map((s) => ({ ...s })),
    report() {
      const list = [...states.values()].sort((a, b) => Number(a.up) - Number(b.up) || a.dependency.localeCompare(b.dependency));
      const ok = list.every((s) => s.up);
      return { ok, status: ok ? 'ok' : 'degraded', dependencies: list.map((s) => ({ dependency: s.dependency, up: s.up, since: new Date(s.since).toISOString(), lastError: s.lastError })) };
    },
  };
}

const byRegistry = new WeakMap<Registry, Health>();

/** The process's tracker: the one kept with this registry, made on first use. */
export function healthOf(registry: Registry, clock: Clock): Health {
  let h = byRegistry.get(registry);
  if (!h) {
    h = createHealth(registry, clock);
    byRegistry.set(registry, h);
  }
  return h;
}

/** The JSON schema of a health report, for the HTTP handlers that answer it (fastify serializes only what is listed). */
export const healthReportSchema = {
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    status: { type: 'string', enum: ['ok', 'degraded'] },
    dependencies: {
      type: 'array',
      items: {
        type: 'object',
        properties: { dependency: { type: 'string' }, up: { type: 'boolean' }, since: { type: 'string' }, lastError: { type: ['string', 'null'] } },
      },
    },
  },
} as const;
