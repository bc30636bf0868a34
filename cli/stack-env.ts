// Reads the local stack's connection settings (.stack/env, written by `npm run stack:up`) so that
// every netmon command finds the stack without sourcing anything. The real environment wins.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from '../common/package-root.js';

export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    out[m[1]] = m[2].trim().replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

/** The stack env file to use: $NETMON_STACK_ENV, else ./.stack/env, else <repo>/.stack/env. */
export function findStackEnv(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.NETMON_STACK_ENV) return resolve(env.NETMON_STACK_ENV);
  for (const candidate of [resolve('.stack/env'), join(repoRoot(), '.stack/env')]) {
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

export function loadEnvWithStack(env: NodeJS.ProcessEnv = process.env): { env: Record<string, string | undefined>; stackEnvFile: string | null } {
  const file = findStackEnv(env);
  if (!file || !existsSync(file)) return { env: { ...env }, stackEnvFile: null };
  return { env: { ...parseEnvFile(readFileSync(file, 'utf8')), ...env }, stackEnvFile: file };
}
