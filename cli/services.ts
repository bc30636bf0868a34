// Runs the long-running services from one validated configuration: the collector, the processor,
// the dashboard, or all three in one process. Each service wires itself (collector/main.ts,
// processor/main.ts, dashboard/main.ts) from its part of the configuration; this file only hands
// each its part, concatenates their component lists under one supervisor and one metrics registry,
// and, without a dashboard in the process, serves that registry on the service's own listener.
import { systemClock } from '../common/clock.js';
import { loadAlertRules } from '../common/config/alert-rules.js';
import type { LoadedConfig } from '../common/config/load.js';
import { createSupervisor, type Component, type FailureSink, type Service, type ServiceDeps } from '../common/lifecycle.js';
import type { Logger } from '../common/log.js';
import { createMetricsServer, createRegistry } from '../common/metrics.js';
import { healthOf } from '../common/health.js';
import { createCollectorService } from '../collector/main.js';
import { createProcessorService } from '../processor/main.js';
import { createDashboardService } from '../dashboard/main.js';

export type ServiceName = 'collector' | 'processor' | 'dashboard' | 'all';
type Part = 'collector' | 'processor' | 'dashboard';

export const SERVICE_COMMANDS: Record<ServiceName, readonly Part[]> = {
  collector: ['collector'],
  processor: ['processor'],
  dashboard: ['dashboard'],
  all: ['collector', 'processor', 'dashboard'],
};

export interface Assembled {
  components: Component[];
  dashboardUrl: () => string | null;
  registry: ServiceDeps['registry'];
}

export function assemble(log: Logger, loaded: LoadedConfig, parts: readonly Part[], failures?: FailureSink): Assembled {
  const deps: ServiceDeps = { registry: createRegistry(), clock: systemClock, failures };
  const { config, devices, devicesPath } = loaded;
  // Read once for the processor and the dashboard; a service that has no use for rules never reads them.
  const { rules, file: rulesFile } = parts.includes('processor') || parts.includes('dashboard') ? loadAlertRules(config, loaded.configPath) : { rules: [], file: null };
  const collector = parts.includes('collector') ? createCollectorService(log, { ...config, devices }, deps) : null;
  const processor = parts.includes('processor') ? createProcessorService(log, { ...config, devices, rules, rulesFile }, deps) : null;
  const dashboard = parts.includes('dashboard') ? createDashboardService(log, { ...config, devices, devicesPath, rules, rulesFile }, deps) : null;
  const services: Service[] = [collector, processor, dashboard].filter((s) => s !== null);
  const components = services.flatMap((s) => s.components);
  // Without a dashboard in the process, each service serves its own /metrics and /healthz.
  const listen = parts.includes('dashboard') ? '' : parts.includes('collector') ? config.collector.metricsListen : config.processor.metricsListen;
  if (listen) {
    const i = listen.lastIndexOf(':');
    components.unshift(createMetricsServer(log, { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) }, deps.registry, healthOf(deps.registry, deps.clock)));
  }
  return { components, dashboardUrl: () => dashboard?.dashboard.url() ?? null, registry: deps.registry };
}

export async function runServices(log: Logger, loaded: LoadedConfig, parts: readonly Part[]): Promise<number> {
  const supervisor = createSupervisor(log);
  // A component that fails at run time is restarted; a crash loop shuts the process down.
  const { components, dashboardUrl, registry } = assemble(log, loaded, parts, supervisor);
  supervisor.register(registry);
  // Started last, so the line appears once everything is up: the one thing a person looks for.
  const announce: Component = {
    name: 'announce',
    start() {
      const url = dashboardUrl();
      process.stderr.write(url ? `netmon: dashboard at ${url}\n` : `netmon: ${parts.join(' + ')} running\n`);
      return Promise.resolve();
    },
    stop: () => Promise.resolve(),
  };
  const done = supervisor.run([...components, announce]);
  return done.finally(() => {
    const url = dashboardUrl();
    if (url) log.info({ url }, 'dashboard stopped');
  });
}
