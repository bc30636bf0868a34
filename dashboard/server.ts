// The dashboard component: a fastify server with the REST API, the browser files and the live
// WebSocket /live fed by a WindowFeed. Rules: the factory only builds the app and registers routes
// (app.inject works without listening); start() reads the browser files, subscribes to the feed and
// listens; stop() closes the clients and the server. Everything is served from this process (no
// CDN), under a content-security-policy that allows only this origin.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import { systemClock, type Clock } from '../common/clock.js';
import type { NetmonConfig } from '../common/config/schema.js';
import type { Component } from '../common/lifecycle.js';
import type { Logger } from '../common/log.js';
import { registerApiRoutes, type ApiDeps } from './api-routes.js';
import { registerHistoryRoutes } from './history-routes.js';
import { registerErrorHandler } from './http-errors.js';
import { createLiveHub, parseViewQuery, type LiveHubOptions } from './live-hub.js';
import { registerStaticAssets } from './static-assets.js';
import { declareRoles, registerSecurity } from './auth/plugin.js';
import { ensureFirstAdmin } from './users/first-admin.js';
import { registerUserRoutes } from './users/user-routes.js';
import { createUserStore, type UserStore } from './users/user-store.js';
import { originAllowed as originInAllowList } from './auth/policy.js';
import type { DeviceAdmin } from './devices/admin.js';
import { interfacesInWindows, registerDeviceRoutes } from './devices/routes.js';
import { registerOpenApi } from './openapi.js';

import { alertRoutesPlugin, type AlertRoutesOptions } from './alerts/alert-routes.js';

/** What the routes need, with the clock optional (the system clock by default). */
export type DashboardDeps = Omit<ApiDeps, 'clock'> & {
  clock?: Clock;
  /** Device administration (store + probe); without it the device list is read-only. */
  admin?: DeviceAdmin;
  /** The alerts API and page; its writes are guarded like every other write. */
  alerts?: Omit<AlertRoutesOptions, 'registry' | 'log' | 'clock' | 'preHandler'>;
  /** The processor's window length, for history timelines with no stored window yet (default 60). */
  windowSeconds?: number;
  /** Users and tokens; default: in memory, with the configured adminPassword/adminToken. */
  users?: UserStore;
};

export interface Dashboard extends Component {
  /** http://host:port/ once listening, else null. */
  url(): string | null;
  readonly app: FastifyInstance;
}

const DEFAULT_LIVE: LiveHubOptions = { maxBufferedBytes: 4 * 1024 * 1024, heartbeatMs: 30_000 };

export function createDashboard(log: Logger, config: Pick<NetmonConfig, 'dashboard'>, deps: DashboardDeps, live: Partial<LiveHubOptions> = {}): Dashboard {
  const { host, port } = config.dashboard;
  const auth = config.dashboard.auth;
  const users = deps.users ?? createUserStore(log, { file: null, adminPassword: auth.adminPassword?.reveal() ?? null, adminToken: auth.adminToken?.reveal() ?? null });
  // Widened to fastify's logger interface so `app` is the plain FastifyInstance type plugins expect.
  const baseLog: FastifyBaseLogger = log;
  const app = Fastify({ loggerInstance: baseLog });
  // Before any route: a route that declares no role stops the start.
  declareRoles(app);
  // Before any plugin or route, so every one of them answers its errors through it.
  registerErrorHandler(app);
  const hub = createLiveHub(log, { feed: deps.feed, registry: deps.registry }, { ...DEFAULT_LIVE, ...live });
  let listening: string | null = null;

  // Browsers get nothing but what they asked for from here; pages of other sites cannot frame or sniff it.
  app.addHook('onSend', (_req, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    done(null, payload);
  });

  // Clients only listen; a small frame limit keeps a misbehaving one from making the server buffer much.
  void app.register(websocket, { options: { maxPayload: 4096 } });
  // Before any route, so the OpenAPI document sees them all.
  registerOpenApi(app, '0.1.0');
  registerSecurity(app, log, config.dashboard, { registry: deps.registry, clock: deps.clock ?? systemClock, users });
  const admin = deps.admin;

  if (deps.alerts) void app.register(alertRoutesPlugin, { ...deps.alerts, registry: deps.registry, log, clock: deps.clock ?? systemClock });
  void app.register((scoped, _opts, done) => {
    registerApiRoutes(scoped, log, { ...deps, ...(admin ? { devices: () => admin.store.list() } : {}), clock: deps.clock ?? systemClock, metricsRole: auth.metricsRole });
    registerUserRoutes(scoped, users);
    if (admin) registerDeviceRoutes(scoped, { store: admin.store, probe: admin.probe, statusOf: deps.statusOf, recentInterfaces: (id) => interfacesInWindows(deps.feed.recent(), id) });
    registerHistoryRoutes(scoped, log, { store: deps.store, clock: deps.clock ?? systemClock, registry: deps.registry, windowSeconds: deps.windowSeconds });
    // Every page and browser file, the alerts page only with the alerts API.
    registerStaticAssets(scoped, { alerts: Boolean(deps.alerts) });

    scoped.get('/live', { websocket: true, config: { role: 'viewer' } }, (socket, req) => {
      // An origin listed in dashboard.auth.allowedOrigins is trusted; for any other the hub requires the page's own origin.
      const listed = req.headers.origin !== undefined && originInAllowList(req.headers.origin, undefined, config.dashboard.auth.allowedOrigins);
      hub.accept(socket, { origin: listed ? undefined : req.headers.origin, host: req.headers.host, view: parseViewQuery(req.query) });
    });
    done();
  });

  return {
    name: 'dashboard',
    app,
    async start() {
      await ensureFirstAdmin(log, users, { proxyConfigured: auth.proxy !== undefined });
      hub.start();
      await app.listen({ host, port });
      const addr = app.server.address();
      if (addr && typeof addr === 'object') {
        listening = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}/`;
      }
      log.info({ url: listening }, 'dashboard listening');
    },
    async stop() {
      listening = null;
      hub.stop();
      await app.close();
    },
    url: () => listening,
  };
}
