// Clock-jump detection for the collector host (pure). Event time is the collector's wall clock, so a
// step of that clock (a manual set, an NTP step after a suspend, a VM restored from a snapshot)
// moves every sample's timestamp with it; the processor cannot tell, so the collector reports it.
// Each check compares how far the wall clock moved with how far a monotonic clock moved since the
// previous check: the difference is the step. A slow slew (NTP adjusting the rate) spreads over many
// checks and stays under the threshold; a step shows up whole at the next check.

export interface ClockJump {
  /** Wall clock minus monotonic clock movement since the previous check: positive = jumped ahead. */
  stepMs: number;
  /** The wall-clock time of the check that saw it. */
  at: number;
}

export interface ClockWatch {
  /** One reading of both clocks; the jump since the previous reading when larger than the threshold. */
  check(wallMs: number, monotonicMs: number): ClockJump | null;
}

export function createClockWatch(thresholdMs: number): ClockWatch {
  if (!(thresholdMs > 0)) throw new RangeError(`thresholdMs must be > 0, got ${thresholdMs}`);
  let last: { wall: number; mono: number } | null = null;
  return {
    check(wall, mono) {
      const prev = last;
      last = { wall, mono };
      if (!prev) return null;
      const stepMs = wall - prev.wall - (mono - prev.mono);
      return Math.abs(stepMs) > thresholdMs ? { stepMs, at: wall } : null;
    },
  };
}
