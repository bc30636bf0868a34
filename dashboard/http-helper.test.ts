// Tests of the pages' HTTP helper (dashboard/public/utils/http.js, plain browser JS imported here as
// it is) with a recording fetch: JSON in and out, the session's CSRF token on writes only (asked
// once), text bodies with their content type, and the API's error reply as an ApiError keeping
// status, code and field; a 401 calls the page's onUnauthorized.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importPublic } from './public.fixture.js';

interface Call { url: string; method: string; headers: Record<string, string>; body?: string }
interface ApiErrorLike extends Error { path: string; status: number; code?: string; field?: string }
interface Api {
  session(): Promise<{ csrfToken: string | null }>;
  getJson(url: string): Promise<unknown>;
  send(method: string, url: string, body?: unknown, contentType?: string): Promise<unknown>;
}
interface Module {
  ApiError: new (path: string, status: number, body: unknown) => ApiErrorLike;
  createApi: (options?: { csrf?: boolean; onUnauthorized?: (err: ApiErrorLike) => void; fetch?: (url: string, init: Omit<Call, 'url'>) => Promise<{ ok: boolean; status: number; text(): Promise<string> }> }) => Api;
}

const { ApiError, createApi } = await importPublic<Module>('utils/http.js');

type Reply = { status: number; body: string };
function recorder(replies: Record<string, Reply>) {
  const calls: Call[] = [];
  const fetch = (url: string, init: Omit<Call, 'url'>) => {
    calls.push({ url, ...init });
    const r = replies[`${init.method} ${url}`] ?? { status: 200, body: '' };
    return Promise.resolve({ ok: r.status >= 200 && r.status < 300, status: r.status, text: () => Promise.resolve(r.body) });
  };
  return { calls, fetch };
}
const json = (status: number, body: unknown): Reply => ({ status, body: JSON.stringify(body) });

void test('getJson: accepts JSON, sends no token, returns the document', async () => {
  const r = recorder({ 'GET /api/devices': json(200, [{ id: 'r1' }]) });
  const api = createApi({ fetch: r.fetch });
  assert.deepEqual(await api.getJson('/api/devices'), [{ id: 'r1' }]);
  assert.deepEqual(r.calls, [{ url: '/api/devices', method: 'GET', headers: { accept: 'application/json' }, body: undefined, credentials: 'same-origin' }]);
});

void test("writes carry the session's CSRF token, asked once; JSON or text bodies; an empty reply is null", async () => {
  const r = recorder({ 'GET /api/auth/session': json(200, { authenticated: true, mode: 'credentials', csrfToken: 'tok' }), 'DELETE /api/x/1': { status: 204, body: '' } });
  const api = createApi({ fetch: r.fetch });
  await api.send('POST', '/api/x', { a: 1 });
  await api.send('POST', '/api/import?format=csv', 'id,host\n', 'text/csv');
  assert.equal(await api.send('DELETE', '/api/x/1'), null);
  assert.deepEqual(r.calls.map((c) => `${c.method} ${c.url}`), ['GET /api/auth/session', 'POST /api/x', 'POST /api/import?format=csv', 'DELETE /api/x/1']);
  assert.deepEqual(r.calls[1].headers, { accept: 'application/json', 'x-csrf-token': 'tok', 'content-type': 'application/json' });
  assert.equal(r.calls[1].body, '{"a":1}');
  assert.deepEqual(r.calls[2].headers, { accept: 'application/json', 'x-csrf-token': 'tok', 'content-type': 'text/csv' });
  assert.equal(r.calls[2].body, 'id,host\n');
  assert.deepEqual(r.calls[3].headers, { accept: 'application/json', 'x-csrf-token': 'tok' }, 'no body, no content type');
});

void test('no session token (loopback), a failed session lookup, or csrf off: writes go without the header', async (t) => {
  const cases: Array<{ name: string; session: Reply; csrf?: boolean; lookups: number }> = [
    { name: 'loopback-open', session: json(200, { authenticated: true, mode: 'loopback-open', csrfToken: null }), lookups: 1 },
    { name: 'session lookup fails', session: json(503, { statusCode: 503, error: 'Service Unavailable', message: 'down' }), lookups: 1 },
    { name: 'csrf off (the login form)', session: json(200, { csrfToken: 'tok' }), csrf: false, lookups: 0 },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const r = recorder({ 'GET /api/auth/session': c.session });
      const api = createApi({ fetch: r.fetch, ...(c.csrf === undefined ? {} : { csrf: c.csrf }) });
      await api.send('POST', '/api/a', {});
      await api.send('POST', '/api/b', {});
      assert.equal(r.calls.filter((x) => x.url === '/api/auth/session').length, c.lookups);
      for (const call of r.calls.filter((x) => x.method === 'POST')) assert.equal(call.headers['x-csrf-token'], undefined);
    });
  }
});

void test("the API's error reply becomes an ApiError with status, code and field", async (t) => {
  const cases: Array<{ name: string; reply: Reply; message: string; code?: string; field?: string }> = [
    { name: 'validation with a field', reply: json(400, { statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: 'body/host: must be a hostname or an IP address', field: 'host' }), message: 'body/host: must be a hostname or an IP address', code: 'FST_ERR_VALIDATION', field: 'host' },
    { name: 'no field', reply: json(503, { statusCode: 503, code: 'NETMON_ERR_INFLUX', error: 'Service Unavailable', message: 'InfluxDB is unavailable' }), message: 'InfluxDB is unavailable', code: 'NETMON_ERR_INFLUX' },
    { name: 'not JSON (a proxy page)', reply: { status: 502, body: 'Bad Gateway' }, message: 'Bad Gateway' },
    { name: 'empty', reply: { status: 500, body: '' }, message: '/api/history: HTTP 500' },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const r = recorder({ 'GET /api/history?device=r1': c.reply });
      const err = await createApi({ fetch: r.fetch }).getJson('/api/history?device=r1').then(() => assert.fail('resolved'), (e: unknown) => e as ApiErrorLike);
      assert.ok(err instanceof ApiError);
      assert.deepEqual({ message: err.message, status: err.status, path: err.path, code: err.code, field: err.field }, { message: c.message, status: c.reply.status, path: '/api/history', code: c.code, field: c.field });
    });
  }
});

void test('a 401 calls onUnauthorized, then throws', async () => {
  const r = recorder({ 'GET /api/auth/session': json(200, { csrfToken: null }), 'POST /api/devices': json(401, { statusCode: 401, error: 'Unauthorized', message: 'log in first' }) });
  const seen: number[] = [];
  const api = createApi({ fetch: r.fetch, onUnauthorized: (err) => seen.push(err.status) });
  await assert.rejects(api.send('POST', '/api/devices', {}), (err: ApiErrorLike) => err.status === 401 && err.message === 'log in first');
  assert.deepEqual(seen, [401]);
});
