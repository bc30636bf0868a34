// The error catalogue: every error netmon raises on purpose is a NetmonError with a stable code
// (NETMON_ERR_...), a cause when it wraps another error, whether retrying can help, and the HTTP
// status a dashboard request that fails with it answers (dashboard/http-errors.ts maps it, once).
// Rules: a code says what kind of failure it is, not where it happened; the classes below only add
// what a reader needs (the bad field, the config path, the place in a capture); a message is written
// for whoever reads it (in a request: the client, so internals stay in the log, not in the message)
// and lists allowed values from the constant the check uses. Only start-up and config errors are
// fatal; running errors are counted and logged at a limited rate by the component that meets them.
// (fastify lib/errors.js: one catalogue with status codes; kafkajs: the retriable flag.)

interface ErrorSpec {
  /** What a request that fails with this code answers. */
  readonly status: number;
  /** Whether the same call can succeed later (the default; a raiser may say otherwise). */
  readonly retriable: boolean;
}

/** Every code, by name; the code itself is `NETMON_ERR_<name>`. */
export const ERROR_CATALOGUE = {
  /** A configuration file or value is wrong. Fatal at start; a request that meets a file edited by hand into a broken state conflicts with it (409). */
  CONFIG_INVALID: { status: 409, retriable: false },
  /** A configuration file cannot be read. */
  CONFIG_READ: { status: 500, retriable: false },
  /** A record (Kafka, InfluxDB) failed its contract: the server's problem, not the request's. */
  DECODE: { status: 500, retriable: false },
  /** The SNMP agent did not answer in time (the dashboard's probe: 502, a bad gateway). */
  SNMP_TIMEOUT: { status: 502, retriable: true },
  SNMP_AUTH: { status: 502, retriable: false },
  SNMP_PROTOCOL: { status: 502, retriable: true },
  SNMP_BAD_REPLY: { status: 502, retriable: false },
  KAFKA: { status: 503, retriable: true },
  INFLUX: { status: 503, retriable: true },
  /**
   * A sink refused a record for good (InfluxDB 4xx about a point, Kafka MESSAGE_TOO_LARGE,
   * INVALID_RECORD, CORRUPT_MESSAGE): retrying cannot help; the record is dead-lettered with the
   * reason and the pipeline goes on (common/retry.ts isPermanent tells the two kinds apart).
   */
  SINK_REJECTED: { status: 502, retriable: false },
  /**
   * A record alone is larger than one send to its Kafka topic may carry (the topic's
   * max.message.bytes, read from the broker): never sent, counted (the collector's publisher).
   */
  RECORD_TOO_LARGE: { status: 413, retriable: false },
  /** A command line that cannot be run (the CLI exits 2). */
  USAGE: { status: 400, retriable: false },
  /** A capture file that cannot be read. */
  PCAP: { status: 400, retriable: false },
  /** Bad input (a request body or query, a CIDR): InputError names the field. */
  INPUT: { status: 400, retriable: false },
  NOT_FOUND: { status: 404, retriable: false },
  CONFLICT: { status: 409, retriable: false },
  /** A part this process runs without (no window store, no rules file): trying again does not help. */
  UNAVAILABLE: { status: 503, retriable: false },
  UNAUTHORIZED: { status: 401, retriable: false },
  FORBIDDEN: { status: 403, retriable: false },
  RATE_LIMITED: { status: 429, retriable: true },
  /** A failure netmon did not foresee; the message says what could not be done. */
  INTERNAL: { status: 500, retriable: false },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorName = keyof typeof ERROR_CATALOGUE;
export type ErrorCode = `NETMON_ERR_${ErrorName}`;

const PREFIX = 'NETMON_ERR_';

export const ErrorCodes = Object.fromEntries(Object.keys(ERROR_CATALOGUE).map((name) => [name, `${PREFIX}${name}`])) as { readonly [N in ErrorName]: `NETMON_ERR_${N}` };

/** The catalogue entry of a code. */
export function errorSpec(code: ErrorCode): ErrorSpec {
  return ERROR_CATALOGUE[code.slice(PREFIX.length) as ErrorName];
}

export class NetmonError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NetmonError';
    this.code = code;
    this.retriable = options.retriable ?? errorSpec(code).retriable;
  }

  /** The HTTP status of a request that fails with this error. */
  get httpStatus(): number {
    return errorSpec(this.code).status;
  }
}

/** A message failed validation at a boundary; `field` is the path of the first bad field. */
export class DecodeError extends NetmonError {
  readonly field: string;
  constructor(field: string, message: string, cause?: unknown) {
    super(ErrorCodes.DECODE, field ? `${field}: ${message}` : message, { cause });
    this.name = 'DecodeError';
    this.field = field;
  }
}

/** A configuration file or value is wrong; `path` names the key (e.g. `kafka.brokers[0]`). */
export class ConfigError extends NetmonError {
  readonly path: string;
  constructor(path: string, message: string, cause?: unknown) {
    super(ErrorCodes.CONFIG_INVALID, path ? `${path}: ${message}` : message, { cause });
    this.name = 'ConfigError';
    this.path = path;
  }
}

export class UsageError extends NetmonError {
  constructor(message: string) {
    super(ErrorCodes.USAGE, message);
    this.name = 'UsageError';
  }
}

/**
 * Bad input: `field` is the path of the bad field inside it (`snmp.community`, `scope/target`; ''
 * for the input as a whole), where a form shows `problem`. The message is `<field>: <problem>`
 * unless the raiser words it (a request names the part too: `body/host: ...`, `querystring/to ...`).
 */
export class InputError extends NetmonError {
  readonly field: string;
  readonly problem: string;
  constructor(field: string, problem: string, options: { message?: string; cause?: unknown } = {}) {
    super(ErrorCodes.INPUT, options.message ?? `${field}: ${problem}`, { cause: options.cause });
    this.name = 'InputError';
    this.field = field;
    this.problem = problem;
  }
}

export class NotFoundError extends NetmonError {
  constructor(message: string) {
    super(ErrorCodes.NOT_FOUND, message);
    this.name = 'NotFoundError';
  }
}

/** The request clashes with what is there (an id taken); `field` names the clashing field. */
export class ConflictError extends NetmonError {
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super(ErrorCodes.CONFLICT, message);
    this.name = 'ConflictError';
    this.field = field;
  }
}

/**
 * A file the dashboard administers (devices, alert rules) holds a hand edit that cannot be used:
 * changes from the API wait until it is fixed, so they do not overwrite it.
 */
export class FileBrokenError extends NetmonError {
  constructor(what: string, problem: string) {
    super(ErrorCodes.CONFIG_INVALID, `${what}; fix or revert it first (changes from here would overwrite it): ${problem}`);
    this.name = 'FileBrokenError';
  }
}

/** A change was saved to its file but netmon.config did not take it; it goes out with the next change. */
export class PublishPendingError extends NetmonError {
  constructor(file: string, cause: unknown) {
    super(ErrorCodes.KAFKA, `saved to the ${file}, but netmon.config could not be written (${errorMessage(cause)}); it will be retried with the next change`, { cause });
    this.name = 'PublishPendingError';
  }
}

export type PcapErrorKind = 'pcapng' | 'not-pcap' | 'empty' | 'truncated' | 'corrupt' | 'unsupported' | 'io';

/** A pcap input problem; `offset` and `packet` (1-based) say where, when it is about a place in the file. */
export class PcapError extends NetmonError {
  readonly kind: PcapErrorKind;
  readonly offset: number | null;
  readonly packet: number | null;
  constructor(kind: PcapErrorKind, message: string, where: { offset?: number; packet?: number; cause?: unknown } = {}) {
    super(ErrorCodes.PCAP, message, { cause: where.cause });
    this.name = 'PcapError';
    this.kind = kind;
    this.offset = where.offset ?? null;
    this.packet = where.packet ?? null;
  }
}

/** `err` when it is a NetmonError; else an INTERNAL error saying what failed (`<what>: <its message>`), with `err` as the cause. */
export function asNetmonError(err: unknown, what: string): NetmonError {
  return err instanceof NetmonError ? err : new NetmonError(ErrorCodes.INTERNAL, `${what}: ${errorMessage(err)}`, { cause: err });
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
