// Shared decoding machinery for wire messages: JSON text -> validated, typed value, or a DecodeError
// naming the first bad field. Counters travel as decimal strings and live as bigint in memory.
import { z } from 'zod';
import { DecodeError } from '../errors.js';

export const U64_MAX = (1n << 64n) - 1n;

/** An unsigned counter (up to 2^64-1) as a decimal string on the wire, bigint in memory. */
export const counterString = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,19})$/, 'expected a decimal string of an unsigned integer')
  .transform((s) => BigInt(s))
  .refine((n) => n <= U64_MAX, 'counter exceeds 2^64-1');

/** Milliseconds since the epoch. */
export const epochMs = z.number().int().nonnegative().max(8.64e15);

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** Turns the first zod issue into a DecodeError that names the field. */
export function toDecodeError(error: z.ZodError, prefix = ''): DecodeError {
  const issue = error.issues[0];
  const field = formatPath(issue?.path ?? []);
  const full = prefix && field ? `${prefix}.${field}` : prefix || field;
  return new DecodeError(full || '(message)', issue?.message ?? 'invalid');
}

/** Parses JSON text (or bytes) and validates it against `schema`; throws DecodeError. */
export function decodeWith<S extends z.ZodType>(schema: S, input: string | Uint8Array | null | undefined, what: string): z.output<S> {
  if (input === null || input === undefined) throw new DecodeError('(message)', `${what}: empty message`);
  // A Buffer (what kafkajs hands over) is read in place: Buffer.from would copy it first.
  const text = typeof input === 'string' ? input : Buffer.isBuffer(input) ? input.toString('utf8') : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new DecodeError('(message)', `${what}: not valid JSON (${(err as Error).message})`, err);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw toDecodeError(parsed.error);
  return parsed.data;
}

/** JSON.stringify that writes bigint as decimal strings (the wire form of counters). */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export const versionField = (supported: number) =>
  z.literal(supported, { error: (iss) => `unsupported version ${JSON.stringify(iss.input)}, supported: ${supported}` });

export type WireInput = string | Uint8Array | null | undefined;

export interface MessageCodec<T> {
  /** Adds `v` and `kind`, writes bigint counters as decimal strings. */
  encode: (value: Omit<T, 'v' | 'kind'>) => string;
  /** Parses and validates; throws DecodeError naming the field. */
  decode: (input: WireInput) => T;
}

/** The encoder/decoder pair of one versioned message type. */
export function messageCodec<S extends z.ZodType<{ v: number; kind: string }>>(schema: S, version: number, kind: z.output<S>['kind'], what: string): MessageCodec<z.output<S>> {
  return {
    encode: (value) => encodeJson({ v: version, kind, ...value }),
    decode: (input) => decodeWith(schema, input, what),
  };
}
