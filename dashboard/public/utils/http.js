// The one HTTP helper of every page: JSON in and out of the dashboard's API, the login session's
// CSRF token (x-csrf-token) on every write, and the API's error reply ({statusCode, code?, error,
// message, field?}) thrown as an ApiError that keeps the status, the code and the field a 400 names.
// Rules: the CSRF token is read from /api/auth/session the first time a write needs it (null without
// a session: loopback writes need none), once per page; a 401 calls the page's onUnauthorized (the
// admin page goes to the login form) before it is thrown. fetch comes in as an option, so Node's
// tests run it as it is (dashboard/http-helper.test.ts).

/** An error reply of the API, or a reply that is not one (then the message names the path and status). */
export class ApiError extends Error {
  constructor(path, status, body) {
    super(body && typeof body.message === 'string' && body.message !== '' ? body.message : `${path}: HTTP ${status}`);
    this.name = 'ApiError';
    this.path = path;
    this.status = status;
    this.code = body && typeof body.code === 'string' ? body.code : undefined;
    this.field = body && typeof body.field === 'string' ? body.field : undefined;
  }
}

/** A reply body: JSON, null when empty, else its text as the message (a proxy's error page, say). */
function parseBody(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

const READS = new Set(['GET', 'HEAD']);

/**
 * The API as one page uses it. options: `csrf` (default true: writes carry the session's token;
 * the login page has no session yet), `onUnauthorized` (called on a 401), `fetch` (the browser's).
 */
export function createApi(options = {}) {
  const { csrf = true, onUnauthorized = null } = options;
  const doFetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  let sessionReply = null;

  async function request(method, url, body, contentType) {
    const headers = { accept: 'application/json' };
    if (!READS.has(method) && csrf) {
      const token = (await session().catch(() => null))?.csrfToken;
      if (token) headers['x-csrf-token'] = token;
    }
    let payload;
    if (body !== undefined) {
      // A content type given means the body is text already (CSV, YAML); else it is sent as JSON.
      headers['content-type'] = contentType ?? 'application/json';
      payload = contentType ? body : JSON.stringify(body);
    }
    const res = await doFetch(url, { method, headers, body: payload, credentials: 'same-origin' });
    const data = parseBody(await res.text());
    if (res.ok) return data;
    const err = new ApiError(url.split('?')[0], res.status, data);
    if (res.status === 401 && onUnauthorized) onUnauthorized(err);
    throw err;
  }

  /** GET /api/auth/session, asked once: {authenticated, mode, csrfToken}. */
  function session() {
    sessionReply ??= request('GET', '/api/auth/session');
    return sessionReply;
  }

  return {
    session,
    /** GET a JSON document. */
    getJson: (url) => request('GET', url),
    /** A write: `body` as JSON, or as text of `contentType` when one is given; the reply's JSON (null when empty). */
    send: (method, url, body, contentType) => request(method, url, body, contentType),
  };
}
