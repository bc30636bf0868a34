// The processor's pure core: counter math, exact apportioning and event-time windowing.
// Adapters (Kafka consumer, writers) import from here only; nothing here does I/O or reads a clock.
export {
  computeDelta,
  uptimeConsistent,
  COUNTER_NAMES,
  RESET_REASONS,
  IMPLAUSIBLE_REASONS,
  UPTIME_TOLERANCE_MIN_MS,
  UPTIME_TOLERANCE_FRACTION,
  MIN_PACKET_OCTETS,
  UNKNOWN_SPEED_BPS,
  type Observation,
  type CounterName,
  type CounterDeltas,
  type DeltaResult,
  type DeltaOptions,
  type ResetReason,
  type ImplausibleReason,
} from './counter-delta.js';
export {
  apportion,
  createApportioner,
  canSplitSafe,
  windowStartOf,
  MAX_SAFE_SPAN_MS,
  type ApportionPart,
  type Apportioner,
  type PartVisitor,
} from './apportion.js';
export {
  ENGINE_DEFAULTS,
  ENGINE_EVENT_KINDS,
  LATE_REASONS,
  REJECT_KINDS,
  type IdlePredicate,
  type WindowEngine,
  type WindowEngineOptions,
  type EngineOutput,
  type EngineEvent,
  type EngineEventKind,
  type LateReason,
  type PartitionCheckpoint,
  type RestorePoint,
} from './engine-types.js';
export { createWindowEngine } from './window-engine.js';
