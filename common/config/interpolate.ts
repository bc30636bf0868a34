// `${VAR}` interpolation of configuration text, the one definition the config loader and the
// devices file share. Rules: `${VAR}` and `${VAR:-default}` take the variable from the environment
// they are given (resolved once, by the command that runs netmon: the real environment over
// .stack/env), an unset variable without a default is a ConfigError naming the path; `$$` is a
// literal `$`, so a value written through the API is stored escaped (escapeLiteral) and comes back
// exactly as it was sent: API input is never interpolated. A value that was only one reference is
// re-read as a number or boolean (so `port: ${PORT}` stays a number).
import { ConfigError } from '../errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

const TOKEN = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

function reparseScalar(text: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}

/**
 * One string value with its references replaced; `where` names it in the error (`file: a.b[2]`).
 * Returns the string itself when it holds no `$`.
 */
export function interpolateString(value: string, env: Env, where: string): unknown {
  if (!value.includes('$')) return value;
  const replaced = value.replace(TOKEN, (token, name: string | undefined, dflt: string | undefined) => {
    if (name === undefined) return '$';
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (dflt !== undefined) return dflt;
    throw new ConfigError(where, `environment variable ${name} is not set and has no default (write \${${name}:-default})`);
  });
  return WHOLE_REFERENCE.test(value) ? reparseScalar(replaced) : replaced;
}

/** A literal string as it must be written to a file that is interpolated: every `$` doubled. */
export function escapeLiteral(value: string): string {
  return value.replaceAll('$', '$$$$');
}

/** escapeLiteral on every string value of plain data (object keys are never interpolated, so they stay). */
export function escapeLiterals<T>(value: T): T {
  if (typeof value === 'string') return escapeLiteral(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => escapeLiterals(v)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, escapeLiterals(v)])) as T;
  }
  return value;
}
