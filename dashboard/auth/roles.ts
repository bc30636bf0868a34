// Roles and what a route needs: the pure access decision of the dashboard. Rules: roles are ordered
// viewer < operator < admin, each includes the ones below; a route needs exactly one requirement,
// 'anonymous' (anyone, e.g. /healthz and the login) or a role; a request without an identity is
// refused with 401 (log in), one whose role is too low with 403. Nothing here reads a request.
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/** What a route declares in `config.role`. */
export const REQUIREMENTS = ['anonymous', ...ROLES] as const;
export type Requirement = (typeof REQUIREMENTS)[number];

export function isRole(x: unknown): x is Role {
  return typeof x === 'string' && (ROLES as readonly string[]).includes(x);
}

export function isRequirement(x: unknown): x is Requirement {
  return typeof x === 'string' && (REQUIREMENTS as readonly string[]).includes(x);
}

/** True when `have` includes `need`. */
export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** The highest of some roles, or null for none. */
export function highestRole(roles: readonly (Role | null | undefined)[]): Role | null {
  let best: Role | null = null;
  for (const r of roles) if (r && (best === null || roleAtLeast(r, best))) best = r;
  return best;
}

/** The lower of two roles: a user's token never does more than the user. */
export function lowerRole(a: Role, b: Role): Role {
  return roleAtLeast(a, b) ? b : a;
}

/** Who a request is: how it authenticated, and its role (null: known but granted nothing). */
export interface Identity {
  name: string;
  via: 'session' | 'token' | 'proxy' | 'anonymous';
  role: Role | null;
}

export type AccessDecision = { ok: true } | { ok: false; status: 401 | 403; message: string };

export function decideAccess(need: Requirement, who: Identity | null): AccessDecision {
  if (need === 'anonymous') return { ok: true };
  if (who === null) return { ok: false, status: 401, message: `authentication required (role ${need}): log in, or send Authorization: Bearer <token>` };
  if (who.role !== null && roleAtLeast(who.role, need)) return { ok: true };
  return { ok: false, status: 403, message: `this needs role ${need}; ${who.name} has ${who.role ?? 'no role'}` };
}
