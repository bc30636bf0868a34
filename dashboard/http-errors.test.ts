// Tests of the dashboard's one error handler through app.inject: catalogue errors answer their
// status and `{statusCode, code, error, message, field?}`; fastify's own client errors answer exactly
// as fastify's default handler does; anything else is a 500 naming nothing internal, logged with its
// cause; and the dashboard's own refusals (401, 403, 429) come through it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { netmonConfigSchema } from '../common/config/schema.js';
import { ConflictError, ErrorCodes, InputError, NetmonError, NotFoundError, PublishPendingError } from '../common/errors.js';
import { silentLogger } from '../common/log.js';
import { createRegistry } from '../common/metrics.js';
import { createMemoryFeed } from './feed/window-feed.js';
import { errorReply, errorReplySchema, inBody, INTERNAL_MESSAGE, invalid, registerErrorHandler } from './http-errors.js';
import { createDashboard } from './server.js';

/** An app whose GET /throw throws what `make` returns, with a schema'd POST /echo; `lines` collects its log. */
async function app(make: () => unknown, withHandler = true): Promise<{ a: FastifyInstance; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const a = Fastify({ logger: { level: 'info', stream } });
  if (withHandler) registerErrorHandler(a);
  a.get('/throw', () => {
    throw make();
  });
  a.get('/pre', { preHandler: (_req, _reply, done) => done(make() as Error) }, () => 'not reached');
  a.get('/documented', { schema: { response: { 409: errorReplySchema } } }, () => {
    throw make();
  });
  a.post('/echo', { schema: { body: { type: 'object', required: ['snmp'], properties: { snmp: { type: 'object', properties: { community: { type: 'string', minLength: 1 } } } } } } }, (req) => req.body);
  await a.ready();
  return { a, lines };
}

void test('catalogue errors answer their status, code, message and field', async (t) => {
  const cases: { name: string; err: unknown; want: Record<string, unknown> }[] = [
    { name: 'not found', err: new NotFoundError('no device with id "x"'), want: { statusCode: 404, code: 'NETMON_ERR_NOT_FOUND', error: 'Not Found', message: 'no device with id "x"' } },
    { name: 'conflict naming the field', err: new ConflictError('a device with id "x" already exists', 'id'), want: { statusCode: 409, code: 'NETMON_ERR_CONFLICT', error: 'Conflict', message: 'a device with id "x" already exists', field: 'id' } },
    {
      name: 'bad input: fastify\'s validation code, with the field',
      err: inBody(new InputError('snmp.community', 'required')),
      want: { statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: 'body/snmp.community: required', field: 'snmp.community' },
    },
    { name: 'a named query check', err: invalid('querystring', 'to', 'must be after from'), want: { statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: 'querystring/to must be after from', field: 'to' } },
    {
      name: 'saved but not published',
      err: new PublishPendingError('devices file', new Error('broker down')),
      want: { statusCode: 503, code: 'NETMON_ERR_KAFKA', error: 'Service Unavailable', message: 'saved to the devices file, but netmon.config could not be written (broker down); it will be retried with the next change' },
    },
    { name: 'the store is down (its cause is not told)', err: new NetmonError(ErrorCodes.INFLUX, 'the window store (InfluxDB) is unavailable; try again later', { cause: new Error('ECONNREFUSED 10.1.2.3:8086') }), want: { statusCode: 503, code: 'NETMON_ERR_INFLUX', error: 'Service Unavailable', message: 'the window store (InfluxDB) is unavailable; try again later' } },
    { name: 'a probe timeout', err: new NetmonError(ErrorCodes.SNMP_TIMEOUT, 'SNMP request to r1 timed out'), want: { statusCode: 502, code: 'NETMON_ERR_SNMP_TIMEOUT', error: 'Bad Gateway', message: 'SNMP request to r1 timed out' } },
    { name: 'unauthorized', err: new NetmonError(ErrorCodes.UNAUTHORIZED, 'wrong password'), want: { statusCode: 401, code: 'NETMON_ERR_UNAUTHORIZED', error: 'Unauthorized', message: 'wrong password' } },
    { name: 'forbidden', err: new NetmonError(ErrorCodes.FORBIDDEN, 'no'), want: { statusCode: 403, code: 'NETMON_ERR_FORBIDDEN', error: 'Forbidden', message: 'no' } },
    { name: 'rate limited', err: new NetmonError(ErrorCodes.RATE_LIMITED, 'Rate limit exceeded, retry in 1 minute'), want: { statusCode: 429, code: 'NETMON_ERR_RATE_LIMITED', error: 'Too Many Requests', message: 'Rate limit exceeded, retry in 1 minute' } },
    { name: 'not configured here', err: new NetmonError(ErrorCodes.UNAVAILABLE, 'no window store is configured for this dashboard'), want: { statusCode: 503, code: 'NETMON_ERR_UNAVAILABLE', error: 'Service Unavailable', message: 'no window store is configured for this dashboard' } },
  ];
  for (const c of cases) {
    assert.deepEqual(errorReply(c.err), c.want, c.name);
    const { a } = await app(() => c.err);
    t.after(() => a.close());
    for (const url of ['/throw', '/pre']) {
      const res = await a.inject({ url });
      assert.equal(res.statusCode, c.want.statusCode, `${c.name} ${url}`);
      assert.deepEqual(res.json(), c.want, `${c.name} ${url}`);
    }
  }
});

void test('a route that documents its error reply keeps code and field through its response schema', async (t) => {
  const { a } = await app(() => new ConflictError('taken', 'id'));
  t.after(() => a.close());
  assert.deepEqual((await a.inject({ url: '/documented' })).json(), { statusCode: 409, code: 'NETMON_ERR_CONFLICT', error: 'Conflict', message: 'taken', field: 'id' });
});

void test("fastify's own client errors answer exactly as fastify's default handler does", async (t) => {
  const ours = (await app(() => new Error('unused'))).a;
  const theirs = (await app(() => new Error('unused'), false)).a;
  t.after(() => Promise.all([ours.close(), theirs.close()]));
  const requests = [
    { name: 'schema: missing property', method: 'POST' as const, url: '/echo', payload: {} },
    { name: 'schema: nested field', method: 'POST' as const, url: '/echo', payload: { snmp: { community: '' } } },
    { name: 'schema: not an object', method: 'POST' as const, url: '/echo', payload: [1, 2] },
    { name: 'unreadable JSON', method: 'POST' as const, url: '/echo', payload: '{"snmp":', headers: { 'content-type': 'application/json' } },
    { name: 'unknown content type', method: 'POST' as const, url: '/echo', payload: 'x', headers: { 'content-type': 'text/x-nope' } },
  ];
  for (const r of requests) {
    const mine = await ours.inject(r);
    const default_ = await theirs.inject(r);
    assert.ok(mine.statusCode >= 400 && mine.statusCode < 500, `${r.name}: ${mine.statusCode}`);
    assert.equal(mine.statusCode, default_.statusCode, r.name);
    assert.deepEqual(mine.json(), default_.json(), r.name);
  }
  const nested = await ours.inject(requests[1]);
  assert.deepEqual(nested.json(), { statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: 'body/snmp/community must NOT have fewer than 1 characters' });
});

void test('any other error is a 500 that names nothing internal; its cause goes to the log', async (t) => {
  const { a, lines } = await app(() => new Error('connect ECONNREFUSED 10.1.2.3:8086'));
  t.after(() => a.close());
  for (const url of ['/throw', '/pre']) {
    const res = await a.inject({ url });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), { statusCode: 500, code: 'NETMON_ERR_INTERNAL', error: 'Internal Server Error', message: INTERNAL_MESSAGE });
    assert.doesNotMatch(res.body, /10\.1\.2\.3/);
  }
  const logged = lines.filter((l) => l.level === 50);
  assert.equal(logged.length, 2);
  assert.match(JSON.stringify(logged[0].err), /ECONNREFUSED 10\.1\.2\.3/);
  // A 5xx from a plugin is no client error: it is answered the same way.
  const plugin = await app(() => Object.assign(new Error('pool exhausted at 10.1.2.3'), { statusCode: 503 }));
  t.after(() => plugin.a.close());
  assert.equal((await plugin.a.inject({ url: '/throw' })).json<{ message: string }>().message, INTERNAL_MESSAGE);
});

void test('the dashboard answers its refusals through the handler: 401, 403 and the login rate limit (429)', async (t) => {
  const config = netmonConfigSchema.parse({ dashboard: { host: '127.0.0.1', port: 0, auth: { adminPassword: 'pw-1', adminToken: 'tok-1', loginAttemptsPerMinute: 2 } } });
  const dash = createDashboard(silentLogger, config, { registry: createRegistry({ defaultMetrics: false }), feed: createMemoryFeed(), store: null, devices: () => [], alerts: { rules: [], history: null, actions: null } });
  t.after(() => dash.app.close());
  const app = dash.app;
  const login = (headers: Record<string, string> = {}) => app.inject({ method: 'POST', url: '/api/auth/login', payload: { password: 'nope' }, headers });
  // Failed logins count (a refused origin is no attempt): the second wrong password reaches the limit of 2.
  assert.deepEqual((await login({ origin: 'http://evil.example' })).json(), { statusCode: 403, code: 'NETMON_ERR_FORBIDDEN', error: 'Forbidden', message: 'this request comes from a page of another origin' });
  const wrong = await login();
  assert.equal(wrong.statusCode, 401);
  assert.deepEqual(wrong.json(), { statusCode: 401, code: 'NETMON_ERR_UNAUTHORIZED', error: 'Unauthorized', message: 'wrong user name or password' });
  const limited = await login();
  assert.equal(limited.statusCode, 429);
  assert.equal(limited.json<{ code: string }>().code, 'NETMON_ERR_RATE_LIMITED');
  assert.match(limited.json<{ message: string }>().message, /^too many failed logins from this address; retry in \d+ s$/);
  assert.match(String(limited.headers['retry-after']), /^\d+$/, 'and says when in Retry-After');

  const write = await app.inject({ method: 'POST', url: '/api/alerts/silences', payload: { minutes: 10, note: 'x' } });
  assert.deepEqual(write.json(), { statusCode: 401, code: 'NETMON_ERR_UNAUTHORIZED', error: 'Unauthorized', message: 'authentication required (role operator): log in, or send Authorization: Bearer <token>' });
  const noStore = await app.inject({ url: '/api/windows?device=r1', headers: { authorization: 'Bearer tok-1' } });
  assert.deepEqual(noStore.json(), { statusCode: 503, code: 'NETMON_ERR_UNAVAILABLE', error: 'Service Unavailable', message: 'no window store is configured for this dashboard' });
});
