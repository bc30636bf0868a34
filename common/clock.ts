// The clock port: logic that needs "now" gets it injected, so tests can drive time.
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
