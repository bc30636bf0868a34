// The OpenAPI document, generated from the route schemas by @fastify/swagger, served as JSON at
// /docs/json and browsable at /docs with Swagger UI from node_modules (no CDN). Routes whose body
// schema is only a shape check (the device is checked by the config schema) name the full device
// schema for the document in `config.docsBody`. Register it before any route, so every route is seen.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export const DOCS_PREFIX = '/docs';
export const DOCS_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The body schema shown in the OpenAPI document when the route's own is only a shape check. */
    docsBody?: Record<string, unknown>;
  }
}

export function registerOpenApi(app: FastifyInstance, version: string): void {
  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'netmon dashboard API', version, description: 'Devices, windows, status, alerts, users. Each operation names the role it needs in `x-role` (anonymous < viewer < operator < admin; docs/security.md). Send `Authorization: Bearer <token>`, or use a login session, whose writes also need the `x-csrf-token` header.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: ({ schema, url, route }) => {
      const docsBody = route.config?.docsBody;
      // The WebSocket and the page's files are not part of the API.
      const hide = url === '/live' || !/^\/(api|healthz|metrics)/.test(url);
      // The role each operation needs (dashboard/auth/roles.ts), so clients and the role tests read it from here.
      const role = route.config?.role;
      const out: Record<string, unknown> = { ...(schema as Record<string, unknown>), ...(hide ? { hide: true } : {}), ...(role ? { 'x-role': role } : {}) };
      if (docsBody) out.body = docsBody;
      return { schema: out, url };
    },
  });
  // Swagger UI injects <style> elements: its pages alone may use inline styles (scripts stay 'self' only).
  app.addHook('onSend', (req, reply, payload, done) => {
    if (req.url === DOCS_PREFIX || req.url.startsWith(`${DOCS_PREFIX}/`)) reply.header('content-security-policy', DOCS_CSP);
    done(null, payload);
  });
  void app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    uiConfig: { validatorUrl: null, deepLinking: false },
    staticCSP: false,
  });
}
