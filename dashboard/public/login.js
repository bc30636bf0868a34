// The login page (login.html): POST /api/auth/login; on success the server sets the session cookie
// (HttpOnly) and the browser goes back to where it came from. Rules: only same-site paths are
// followed (?next=/path), anything else goes to the admin page; no CSRF token here (no session yet);
// no user name means "admin" (the user of dashboard.auth.adminPassword).
import { ApiError, createApi } from './utils/http.js';
import { $ } from './utils/dom.js';

const api = createApi({ csrf: false });
const form = $('#login-form');
const error = $('#login-error');
const next = new URLSearchParams(location.search).get('next');
const target = next && /^\/[A-Za-z0-9._/-]*$/.test(next) && !next.startsWith('//') ? next : '/admin.html';

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  error.textContent = '';
  const password = $('#login-password').value;
  const username = $('#login-username').value.trim();
  try {
    await api.send('POST', '/api/auth/login', username ? { username, password } : { password });
    location.href = target;
  } catch (err) {
    if (!(err instanceof ApiError)) error.textContent = `login failed: ${err.message}`;
    else error.textContent = err.status === 429 ? 'Too many attempts; wait a minute.' : err.message;
  }
});
