// Secrets: values that never print. SNMP communities, v3 keys and passwords are held in Secret, so
// logging or printing a config (JSON, util.inspect, template strings) shows `<secret>` instead; a
// URL that carries a credential (a webhook's token in its path or query) is a SecretUrl, which
// prints as its origin only (`https://hooks.example.com/<secret>`), so an error or a log names the
// host and never the token. redactSecrets is the second line of defence for text that came from
// elsewhere (a receiver's error body, a library's message): every known secret value is replaced.
const REDACTED = '<secret>';

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The real value, for the one place that must hand it to a protocol library. */
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}

export class SecretUrl {
  readonly #url: URL;
  constructor(value: string) {
    this.#url = new URL(value);
  }
  /** The whole URL, for the request itself. */
  reveal(): string {
    return this.#url.href;
  }
  /** host:port, what a message about it may name. */
  get host(): string {
    return this.#url.host;
  }
  /**
   * The values to redact wherever they appear: the URL, its path and query, the user info, and each
   * query value long enough to be a token (a short one like `json` would blank out ordinary words).
   */
  secretParts(): string[] {
    const u = this.#url;
    const whole = [u.href, `${u.pathname}${u.search}`, u.pathname === '/' ? '' : u.pathname, u.search.slice(1), u.username, u.password];
    const tokens = [...u.searchParams.values()].filter((v) => v.length >= 8);
    return [...whole, ...tokens].filter((p) => p.length > 0);
  }
  toString(): string {
    const u = this.#url;
    return u.pathname === '/' && u.search === '' && u.username === '' ? u.origin : `${u.origin}/${REDACTED}`;
  }
  toJSON(): string {
    return this.toString();
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** `text` with every occurrence of each secret value (and its URL-encoded form) replaced by `<secret>`; longest first. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  const values = [...new Set(secrets.flatMap((s) => [s, encodeURIComponent(s)]))].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  let out = text;
  for (const s of values) out = out.split(s).join(REDACTED);
  return out;
}
