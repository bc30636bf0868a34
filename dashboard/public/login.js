// Login form: POST /api/auth/login; on success the server sets the session cookie (HttpOnly) and the
// page goes back to where it came from (only same-site paths are followed).
'use strict';
(() => {
  const { URLSearchParams } = globalThis;
  const form = document.getElementById('login-form');
  const error = document.getElementById('login-error');
  const next = new URLSearchParams(location.search).get('next');
  const target = next && /^\/[A-Za-z0-9._/-]*$/.test(next) && !next.startsWith('//') ? next : '/admin.html';
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    const password = document.getElementById('login-password').value;
    try {
      const res = await fetch('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password }), credentials: 'same-origin' });
      if (res.ok) {
        location.href = target;
        return;
      }
      const body = await res.json().catch(() => ({}));
      error.textContent = res.status === 429 ? 'Too many attempts; wait a minute.' : body.message || `login failed (${res.status})`;
    } catch (err) {
      error.textContent = `login failed: ${err.message}`;
    }
  });
})();
