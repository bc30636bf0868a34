// The component contract and the supervisor that runs components.
// A component's factory only validates and allocates; sockets and timers open in start() and close
// in stop(). The supervisor starts components in dependency order, stops them in reverse, and shuts
// down cleanly on SIGINT/SIGTERM or when a running component reports a fatal failure.
import type { Clock } from './clock.js';
import type { Logger } from './log.js';
import type { Registry } from 'prom-client';
import { errorMessage } from './errors.js';

export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Handed to components so a running one can say it cannot go on (the process then shuts down). */
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

export interface Supervisor extends FailureSink {
  /** Starts the components and resolves with an exit code once they have all stopped. */
  run(components: readonly Component[], opts?: { handleSignals?: boolean }): Promise<number>;
  /** Asks a running supervisor to stop everything (as a signal would). */
  shutdown(reason: string): void;
}

export function createSupervisor(log: Logger, opts: { stopTimeoutMs?: number } = {}): Supervisor {
  const stopTimeoutMs = opts.stopTimeoutMs ?? 15_000;
  let requestStop: ((code: number) => void) | null = null;
  let pendingCode: number | null = null;

  const request = (code: number) => {
    if (requestStop) requestStop(code);
    else pendingCode ??= code;
  };

  async function stopAll(started: Component[]): Promise<boolean> {
    let clean = true;
    for (const c of [...started].reverse()) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          c.stop(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`did not stop within ${stopTimeoutMs} ms`)), stopTimeoutMs);
          }),
        ]);
        log.info({ component: c.name }, 'stopped');
      } catch (err) {
        clean = false;
        log.error({ component: c.name, err: errorMessage(err) }, 'stop failed');
      } finally {
        clearTimeout(timer);
      }
    }
    return clean;
  }

  return {
    fail(component, err) {
      log.error({ component, err: errorMessage(err) }, 'component failed; shutting down');
      request(1);
    },
    shutdown(reason) {
      log.info({ reason }, 'shutting down');
      request(0);
    },
    async run(components, runOpts = {}) {
      const handleSignals = runOpts.handleSignals ?? true;
      const started: Component[] = [];
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
      }
      try {
        for (const c of components) {
          if (pendingCode !== null) break;
          try {
            await c.start();
            started.push(c);
            log.info({ component: c.name }, 'started');
          } catch (err) {
            log.error({ component: c.name, err: errorMessage(err) }, 'start failed');
            await stopAll(started);
            return 1;
          }
        }
        if (pendingCode !== null) request(pendingCode);
        const code = await stopped;
        const clean = await stopAll(started);
        return clean ? code : Math.max(code, 1);
      } finally {
        requestStop = null;
        if (handleSignals) {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      }
    },
  };
}
