// Poll schedule arithmetic (pure): each device gets a fixed phase inside the interval, derived from
// its id, so polls spread evenly instead of bursting at the top of the minute, and a device keeps
// its phase across restarts. Fixed-rate: the next poll is due one interval after the previous due
// time, however long the poll took.

/** FNV-1a 32-bit: a stable, well-spread hash of the device id. */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function phaseMs(deviceId: string, intervalMs: number): number {
  return stableHash(deviceId) % intervalMs;
}

/** The first due time at or after `now` for a device with this phase. */
export function firstDue(now: number, intervalMs: number, phase: number): number {
  const base = Math.floor(now / intervalMs) * intervalMs + phase;
  return base >= now ? base : base + intervalMs;
}

/** The next due time after `due`, skipping slots already in the past (they are missed, not queued). */
export function nextDue(due: number, now: number, intervalMs: number): { due: number; missed: number } {
  let next = due + intervalMs;
  let missed = 0;
  while (next < now) {
    next += intervalMs;
    missed++;
  }
  return { due: next, missed };
}
