// Cutting a run of records into sends a server accepts: Kafka refuses a record batch above the
// topic's max.message.bytes (1 MB by default; read from the broker by common/bus/message-limit.ts),
// forever, so a sink that sent a whole backlog at once would retry it forever; InfluxDB refuses
// bodies above its max-body-size (25 MB by default).
// Rule: items stay in order; a batch holds at most `maxCount` items and `maxBytes` bytes, except
// that an item alone above `maxBytes` is a batch of its own (the caller decides what to do with it).

/**
 * What a Kafka record costs beyond its key and value, at most (record v2 varints: length 5,
 * attributes 1, timestamp delta 10, offset delta 5, key length 5, value length 5, header count 1).
 */
export const RECORD_OVERHEAD_BYTES = 32;

export interface BatchLimits {
  /** Default: no byte cap. */
  maxBytes?: number;
  /** Default: no count cap. */
  maxCount?: number;
}

/** The end (exclusive) of the batch that starts at `start`: at least one item when any is left. */
export function batchEnd<T>(items: readonly T[], start: number, size: (item: T) => number, limits: BatchLimits): number {
  const maxCount = limits.maxCount ?? Infinity;
  const maxBytes = limits.maxBytes ?? Infinity;
  let end = start;
  let bytes = 0;
  while (end < items.length && end - start < maxCount) {
    const s = size(items[end]);
    if (end > start && bytes + s > maxBytes) break;
    bytes += s;
    end++;
  }
  return end;
}

/** `items` in consecutive batches within `limits`. */
export function batches<T>(items: readonly T[], size: (item: T) => number, limits: BatchLimits): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; ) {
    const end = batchEnd(items, start, size, limits);
    out.push(items.slice(start, end));
    start = end;
  }
  return out;
}

/** The UTF-8 size of a Kafka message's key and value. */
export function messageBytes(m: { key?: string | null; value: string | null }): number {
  return (m.key ? Buffer.byteLength(m.key) : 0) + (m.value === null ? 0 : Buffer.byteLength(m.value));
}

/** What one record header costs beyond its key and value, at most (key length 5, value length 5). */
export const HEADER_OVERHEAD_BYTES = 10;

/**
 * What a Kafka message takes in a record batch, at most: its UTF-8 key and value, its headers (the
 * origin header of the dashboard's records) and the record framing.
 */
export function recordBytes(m: { key?: string | null; value: string | null; headers?: Readonly<Record<string, string | Buffer>> }): number {
  let bytes = messageBytes(m) + RECORD_OVERHEAD_BYTES;
  if (m.headers) for (const [k, v] of Object.entries(m.headers)) bytes += Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : v.length) + HEADER_OVERHEAD_BYTES;
  return bytes;
}
