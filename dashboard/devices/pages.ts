// The admin and login pages (dashboard/public/admin.* and login.*): read once when the app gets
// ready, served from memory like the main page, under the same CSP (no inline script or style).
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { ErrorCodes, NetmonError } from '../../common/errors.js';
import { findPackageRoot } from '../static-assets.js';

const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
export const ADMIN_PAGE_FILES = ['admin.html', 'admin.js', 'admin.css', 'login.html', 'login.js'] as const;

export function registerAdminPages(app: FastifyInstance): void {
  const files = new Map<string, Buffer>();
  app.addHook('onReady', async () => {
    const dir = join(findPackageRoot(dirname(fileURLToPath(import.meta.url))), 'dashboard', 'public');
    for (const name of ADMIN_PAGE_FILES) {
      try {
        files.set(name, await readFile(join(dir, name)));
      } catch (err) {
        throw new NetmonError(ErrorCodes.USAGE, `dashboard file ${name} is missing: ${(err as Error).message}`, { cause: err });
      }
    }
  });
  for (const name of ADMIN_PAGE_FILES) {
    app.get(`/${name}`, (_req, reply) => {
      const body = files.get(name);
      if (!body) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `/${name} is not loaded` });
      return reply.header('cache-control', 'no-cache').type(TYPES[name.split('.').pop() ?? 'html']).send(body);
    });
  }
  app.get('/admin', (_req, reply) => reply.redirect('/admin.html'));
}
