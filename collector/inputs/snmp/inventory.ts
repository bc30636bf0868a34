// A device's interface inventory (pure): which interfaces to poll and under which stable ifIndex to
// publish them. Filters select by name pattern, ifType and admin status. Identity follows the
// interface name: when an agent renumbers its ifIndex values (a reboot, a line card swap), an
// interface whose unique, non-empty ifName was seen before keeps the ifIndex it was first published
// under, so its history does not split. The mapping can be saved (snapshot) and restored, so it
// survives a collector restart (identity-store.ts keeps it in a state file).

export interface InterfaceFilter {
  /** Regular expressions on ifName; an interface must match one (none given = all). */
  include: readonly RegExp[];
  /** Regular expressions on ifName; an interface matching one is left out. */
  exclude: readonly RegExp[];
  /** IANA ifType numbers to keep (none given = all). */
  types: readonly number[];
  /** Leave out interfaces whose ifAdminStatus is down. */
  adminUpOnly: boolean;
}

export interface DiscoveredInterface {
  ifIndex: number;
  name: string;
  /** IANA ifType; null when the agent did not say. */
  ifType: number | null;
  /** ifAdminStatus: 1 up, 2 down, 3 testing; null when unknown. */
  adminStatus: number | null;
}

export const ALL_INTERFACES: InterfaceFilter = { include: [], exclude: [], types: [], adminUpOnly: false };

export function selects(filter: InterfaceFilter, i: DiscoveredInterface): boolean {
  if (filter.include.length > 0 && !filter.include.some((re) => re.test(i.name))) return false;
  if (filter.exclude.some((re) => re.test(i.name))) return false;
  if (filter.types.length > 0 && (i.ifType === null || !filter.types.includes(i.ifType))) return false;
  if (filter.adminUpOnly && i.adminStatus === 2) return false;
  return true;
}

export interface Renumbering {
  name: string;
  from: number;
  to: number;
}

export interface IdentityMap {
  /** Agent ifIndex -> the ifIndex to publish, for this poll's interfaces; reports renumberings. */
  reconcile(current: ReadonlyArray<{ ifIndex: number; name: string }>): { stable: Map<number, number>; renumbered: Renumbering[] };
  /** Grows whenever the mapping changes (a new or moved interface): time to save a snapshot. */
  readonly revision: number;
  snapshot(): IdentitySnapshot;
}

/** What an identity map remembers, as plain data (JSON-safe). */
export interface IdentitySnapshot {
  /** name -> published ifIndex. */
  byName: Array<[string, number]>;
  /** published ifIndex -> name ('' = no usable name). */
  taken: Array<[number, string]>;
}

export function createIdentityMap(restored?: IdentitySnapshot): IdentityMap {
  /** name -> published ifIndex, for names that were unique when first seen. */
  const byName = new Map<string, number>(restored?.byName ?? []);
  /** published ifIndex -> name (or '' for an interface without a usable name). */
  const taken = new Map<number, string>(restored?.taken ?? []);
  let revision = 0;

  return {
    get revision() {
      return revision;
    },
    snapshot: () => ({ byName: [...byName], taken: [...taken] }),
    reconcile(current) {
      const counts = new Map<string, number>();
      for (const c of current) counts.set(c.name, (counts.get(c.name) ?? 0) + 1);
      const usable = (name: string) => name !== '' && counts.get(name) === 1;
      const stable = new Map<number, number>();
      const renumbered: Renumbering[] = [];
      const claimed = new Set<number>();
      // First, interfaces whose name we know keep their published index.
      for (const c of current) {
        const known = usable(c.name) ? byName.get(c.name) : undefined;
        if (known !== undefined && !claimed.has(known)) {
          stable.set(c.ifIndex, known);
          claimed.add(known);
          if (known !== c.ifIndex) renumbered.push({ name: c.name, from: c.ifIndex, to: known });
        }
      }
      // Then the rest: their own ifIndex when no other name holds it, else a fresh one.
      let next = Math.max(0, ...taken.keys(), ...current.map((c) => c.ifIndex)) + 1;
      for (const c of current) {
        if (stable.has(c.ifIndex)) continue;
        const holder = taken.get(c.ifIndex);
        const free = !claimed.has(c.ifIndex) && (holder === undefined || holder === c.name || holder === '' || !usable(holder));
        const index = free ? c.ifIndex : next++;
        stable.set(c.ifIndex, index);
        claimed.add(index);
        const name = usable(c.name) ? c.name : '';
        if (taken.get(index) !== name) {
          taken.set(index, name);
          revision++;
        }
        if (name !== '' && byName.get(name) !== index) {
          byName.set(name, index);
          revision++;
        }
      }
      return { stable, renumbered };
    },
  };
}

/** Compiles the configured patterns; the config schema has already checked they compile. */
export function compileFilter(cfg: { include: readonly string[]; exclude: readonly string[]; types: readonly number[]; adminUpOnly: boolean }): InterfaceFilter {
  return { include: cfg.include.map((p) => new RegExp(p)), exclude: cfg.exclude.map((p) => new RegExp(p)), types: [...cfg.types], adminUpOnly: cfg.adminUpOnly };
}
