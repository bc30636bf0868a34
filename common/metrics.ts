// Metrics: one prom-client registry per process, shared by the components it runs, served in the
// Prometheus text format on /metrics (by the dashboard, or by a small HTTP component for services
// that run without it). Everything that moves gets a counter.
import { createServer, type Server } from 'node:http';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Component } from './lifecycle.js';
import type { Logger } from './log.js';
import { buildInfo } from './version.js';
import type { Health } from './health.js';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createRegistry(opts: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'netmon_' });
  // Which build answers: 1, labelled with the version and runtime (the Prometheus *_build_info idiom).
  const b = buildInfo();
  new Gauge({ name: 'netmon_build_info', help: 'netmon build: always 1, labelled with the version and the Node.js runtime', labelNames: ['version', 'node'], registers: [registry] }).set({ version: b.version, node: b.node }, 1);
  return registry;
}

/**
 * Serves GET /metrics on host:port (port 0 = any free port; `address()` tells which after start),
 * and GET /healthz when given the process's health (200, or 503 while a dependency is down).
 */
export function createMetricsServer(log: Logger, opts: { host: string; port: number }, registry: Registry, health?: Health): Component & { address(): string | null } {
  let server: Server | null = null;
  return {
    name: 'metrics-server',
    async start() {
      server = createServer((req, res) => {
        if (req.method === 'GET' && req.url === '/metrics') {
          registry.metrics().then(
            (text) => {
              res.writeHead(200, { 'content-type': registry.contentType });
              res.end(text);
            },
            (err: Error) => {
              res.writeHead(500);
              res.end(err.message);
            },
          );
        } else if (health && req.method === 'GET' && req.url === '/healthz') {
          const report = health.report();
          res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify(report));
        } else {
          res.writeHead(404);
          res.end();
        }
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(opts.port, opts.host, () => resolve());
      });
      log.info({ url: `http://${this.address()}/metrics` }, 'metrics listening');
    },
    async stop() {
      const s = server;
      server = null;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    address() {
      const a = server?.address();
      return a && typeof a === 'object' ? `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}` : null;
    },
  };
}
