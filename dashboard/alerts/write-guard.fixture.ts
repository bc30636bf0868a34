// A write guard for tests of the alert routes on a bare fastify app, without the auth plugin:
// loopback clients only and, from a browser, only the page's own origin (the auth policy's rule
// when no credential is configured, but refusing everything with a 403). Refusals are catalogue
// errors, as the real guard's are, so the app needs dashboard/http-errors.ts's handler.
import type { FastifyRequest, preHandlerHookHandler } from 'fastify';
import { ErrorCodes, NetmonError } from '../../common/errors.js';
import { isLoopbackHost, originAllowed } from '../auth/policy.js';

function refusal(req: FastifyRequest): NetmonError | undefined {
  if (!isLoopbackHost(req.socket.remoteAddress ?? '')) return new NetmonError(ErrorCodes.FORBIDDEN, 'alert changes are allowed from this host only');
  if (!originAllowed(req.headers.origin, req.headers.host, [])) return new NetmonError(ErrorCodes.FORBIDDEN, `origin ${req.headers.origin} may not change alerts`);
  return undefined;
}

export const loopbackWriteGuard: preHandlerHookHandler = (req, _reply, done) => done(refusal(req));
