// The component contract and the supervisor that runs components.
// A component's factory only validates and allocates; sockets and timers open in start() and close
// in stop(). The supervisor starts components in dependency order, stops them in reverse, and shuts
// down cleanly on SIGINT/SIGTERM.
// A running component that reports a failure is restarted (stopped, then started again after an
// exponential backoff, restart-policy.ts); one that fails more often than the policy allows within its
// window, or a failure of the process itself (an unhandled rejection or exception, handed over by
// the CLI through `processFault`), stops everything in order and makes run() reject with a
// SupervisorExit that names the reason: never a silent death, never running on in an unknown state.
import type { Clock } from './clock.js';
import type { Logger } from './log.js';
import { Counter, type Registry } from 'prom-client';
import { ErrorCodes, NetmonError, errorMessage } from './errors.js';
import { checkRestartPolicy, decideRestart, DEFAULT_RESTART_POLICY, type RestartPolicy } from './restart-policy.js';

export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Handed to components so a running one can say it cannot go on (the supervisor restarts it). */
export interface FailureSink {
  fail(component: string, err: unknown): void;
}

/**
 * What each service's main.ts gets besides its part of the configuration: the metrics registry
 * (one per process, shared when services run together), the clock, and where a running component
 * reports that it cannot go on.
 */
export interface ServiceDeps {
  registry: Registry;
  clock: Clock;
  failures?: FailureSink;
}

/** A service as its main.ts wires it: its components in start order. */
export interface Service {
  readonly components: readonly Component[];
}

/** Why a supervisor stopped everything on its own. */
export const EXIT_REASONS = ['crash-loop', 'component-failed', 'unhandled-rejection', 'uncaught-exception'] as const;
export type ExitReason = (typeof EXIT_REASONS)[number];

/** What run() rejects with after a failure stopped the process's components. */
export class SupervisorExit extends NetmonError {
  readonly reason: ExitReason;
  constructor(reason: ExitReason, message: string, cause?: unknown) {
    super(ErrorCodes.INTERNAL, `${reason}: ${message}`, { cause });
    this.name = 'SupervisorExit';
    this.reason = reason;
  }
}

export interface Supervisor extends FailureSink {
  /**
   * Starts the components and resolves with an exit code once they have all stopped (0 after a
   * signal or shutdown(), 1 when a start or a stop failed); rejects with a SupervisorExit when a
   * crash loop or a process fault stopped them. `handleSignals` (default true): this run owns the
   * process, so SIGINT/SIGTERM and the faults handed to `processFault` stop it.
   */
  run(components: readonly Component[], opts?: { handleSignals?: boolean }): Promise<number>;
  /** Asks a running supervisor to stop everything (as a signal would). */
  shutdown(reason: string): void;
  /** Stops everything and makes run() reject with `reason`. */
  fatal(reason: ExitReason, err: unknown): void;
  /** Registers the restart and failure counters in the process's registry. */
  register(registry: Registry): void;
}

export interface SupervisorOptions {
  /** How long one component may take to stop (default 15 s). */
  stopTimeoutMs?: number;
  /**
   * How long stopping everything may take (default twice stopTimeoutMs): once it is spent, each
   * component left gets MIN_STOP_MS. With a broker that hangs, every Kafka client's stop waits out
   * its timeout; five of them made a dashboard take 80 s to end, near systemd's 90 s default.
   */
  shutdownTimeoutMs?: number;
  restart?: RestartPolicy;
  /** Monotonic milliseconds for the restart window (default performance.now). */
  now?: () => number;
}

/** The supervisor that owns the process (runs with handleSignals); process faults go to it. */
let processOwner: Supervisor | null = null;

/**
 * Hands a process-level fault (the CLI's unhandledRejection/uncaughtException handlers) to the
 * supervisor that owns the process. False when none runs: the caller must end the process itself.
 */
export function processFault(reason: 'unhandled-rejection' | 'uncaught-exception', err: unknown): boolean {
  if (!processOwner) return false;
  processOwner.fatal(reason, err);
  return true;
}

type State = 'running' | 'restarting' | 'down';

/** What each component still gets to stop once the shutdown's time is spent. */
const MIN_STOP_MS = 1_000;

export function createSupervisor(log: Logger, opts: SupervisorOptions = {}): Supervisor {
  const stopTimeoutMs = opts.stopTimeoutMs ?? 15_000;
  const shutdownTimeoutMs = opts.shutdownTimeoutMs ?? 2 * stopTimeoutMs;
  const policy = opts.restart ?? DEFAULT_RESTART_POLICY;
  checkRestartPolicy(policy);
  const now = opts.now ?? (() => performance.now());
  const restarts = new Counter({ name: 'netmon_component_restarts_total', help: 'Components restarted by the supervisor after a run-time failure', labelNames: ['component'], registers: [] });
  const failures = new Counter({ name: 'netmon_component_failures_total', help: 'Run-time failures components reported (each leads to a restart or, past the restart policy, to exit)', labelNames: ['component'], registers: [] });

  let requestStop: ((code: number) => void) | null = null;
  let pendingCode: number | null = null;
  let stopping = false;
  let exit: SupervisorExit | null = null;
  /** The components started so far (in start order) and how each is doing. */
  let started: Component[] = [];
  const state = new Map<Component, State>();
  const history = new Map<string, number[]>();
  const restarting = new Set<Promise<void>>();
  /** Wakes restart waits when the supervisor stops. */
  let wakeWaits: Array<() => void> = [];

  const request = (code: number) => {
    stopping = true;
    for (const w of wakeWaits.splice(0)) w();
    if (requestStop) requestStop(code);
    else pendingCode ??= code;
  };

  async function stopOne(c: Component, limitMs = stopTimeoutMs): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        c.stop(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`did not stop within ${limitMs} ms`)), limitMs);
        }),
      ]);
      log.info({ component: c.name }, 'stopped');
      return true;
    } catch (err) {
      log.error({ component: c.name, err: errorMessage(err) }, 'stop failed');
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async function stopAll(): Promise<boolean> {
    // A restart in progress settles first (it sees `stopping` and gives up its wait).
    while (restarting.size > 0) await Promise.all([...restarting]);
    let clean = true;
    const deadline = now() + shutdownTimeoutMs;
    for (const c of [...started].reverse()) {
      if (state.get(c) === 'down') continue;
      const limit = Math.min(stopTimeoutMs, Math.max(Math.min(MIN_STOP_MS, stopTimeoutMs), Math.round(deadline - now())));
      if (!(await stopOne(c, limit))) clean = false;
    }
    return clean;
  }

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopping) return resolve();
      const done = () => {
        clearTimeout(t);
        wakeWaits = wakeWaits.filter((w) => w !== done);
        resolve();
      };
      const t = setTimeout(done, ms);
      wakeWaits.push(done);
    });

  /** Stops `c`, waits the policy's backoff and starts it again; a failed start counts as a failure. */
  async function restart(c: Component, firstErr: unknown): Promise<void> {
    let err = firstErr;
    for (;;) {
      failures.inc({ component: c.name });
      const { decision, history: kept } = decideRestart(policy, history.get(c.name) ?? [], now());
      history.set(c.name, kept);
      if (decision.action === 'give-up') {
        const windowS = Math.round(policy.windowMs / 1000);
        self.fatal('crash-loop', new Error(`component ${c.name} failed ${decision.failures} times within ${windowS} s; last error: ${errorMessage(err)}`, { cause: err }));
        return;
      }
      restarts.inc({ component: c.name });
      log.warn({ component: c.name, err: errorMessage(err), attempt: decision.attempt, maxRestarts: policy.maxRestarts, restartInMs: decision.delayMs }, 'component failed; restarting it');
      if (state.get(c) !== 'down') {
        state.set(c, 'restarting');
        await stopOne(c);
        state.set(c, 'down');
      }
      await wait(decision.delayMs);
      if (stopping) return;
      try {
        await c.start();
        state.set(c, 'running');
        log.info({ component: c.name, attempt: decision.attempt }, 'restarted');
        return;
      } catch (e) {
        err = e;
        await stopOne(c); // a half-started component releases what it opened
        if (stopping) return;
      }
    }
  }

  const self: Supervisor = {
    fail(component, err) {
      const c = started.find((x) => x.name === component);
      if (stopping) {
        log.warn({ component, err: errorMessage(err) }, 'component failed while stopping');
        return;
      }
      if (!c || !requestStop) {
        // Not one this supervisor started (or failing while the others start): nothing to restart.
        self.fatal('component-failed', new Error(`component ${component} failed: ${errorMessage(err)}`, { cause: err }));
        return;
      }
      if (state.get(c) !== 'running') {
        log.info({ component, err: errorMessage(err) }, 'component failed again while being restarted');
        return;
      }
      state.set(c, 'restarting');
      const p = restart(c, err).finally(() => restarting.delete(p));
      restarting.add(p);
    },
    fatal(reason, err) {
      if (stopping && exit) {
        log.error({ reason, err: errorMessage(err) }, 'another failure while stopping');
        return;
      }
      exit ??= new SupervisorExit(reason, errorMessage(err), err);
      log.error({ reason, err: errorMessage(err), stack: err instanceof Error ? err.stack : undefined }, 'fatal failure; stopping every component in order');
      request(1);
    },
    shutdown(reason) {
      log.info({ reason }, 'shutting down');
      request(0);
    },
    register(registry) {
      for (const [name, m] of [['netmon_component_restarts_total', restarts], ['netmon_component_failures_total', failures]] as const) if (!registry.getSingleMetric(name)) registry.registerMetric(m);
    },
    async run(components, runOpts = {}) {
      const handleSignals = runOpts.handleSignals ?? true;
      started = [];
      stopping = pendingCode !== null;
      const stopped = new Promise<number>((resolve) => {
        requestStop = resolve;
      });
      const onSignal = (sig: NodeJS.Signals) => {
        log.info({ signal: sig }, 'signal received; shutting down');
        request(0);
      };
      if (handleSignals) {
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        processOwner = self;
      }
      try {
        for (const c of components) {
          if (stopping) break;
          try {
            await c.start();
            started.push(c);
            state.set(c, 'running');
            log.info({ component: c.name }, 'started');
          } catch (err) {
            log.error({ component: c.name, err: errorMessage(err) }, 'start failed');
            stopping = true;
            await stopAll();
            if (exit) throw exit;
            return 1;
          }
        }
        if (pendingCode !== null) request(pendingCode);
        const code = await stopped;
        const clean = await stopAll();
        if (exit) throw exit;
        return clean ? code : Math.max(code, 1);
      } finally {
        requestStop = null;
        if (handleSignals) {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          if (processOwner === self) processOwner = null;
        }
      }
    },
  };
  return self;
}
