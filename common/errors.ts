// The error catalogue: every error netmon raises on purpose is a NetmonError with a stable code
// (NETMON_ERR_...), a cause when it wraps another error, and whether retrying can help.
// Only start-up and config errors are fatal; running errors are counted and logged at a limited rate.

export const ErrorCodes = {
  CONFIG_INVALID: 'NETMON_ERR_CONFIG_INVALID',
  CONFIG_READ: 'NETMON_ERR_CONFIG_READ',
  DECODE: 'NETMON_ERR_DECODE',
  SNMP_TIMEOUT: 'NETMON_ERR_SNMP_TIMEOUT',
  SNMP_AUTH: 'NETMON_ERR_SNMP_AUTH',
  SNMP_PROTOCOL: 'NETMON_ERR_SNMP_PROTOCOL',
  SNMP_BAD_REPLY: 'NETMON_ERR_SNMP_BAD_REPLY',
  KAFKA: 'NETMON_ERR_KAFKA',
  INFLUX: 'NETMON_ERR_INFLUX',
  USAGE: 'NETMON_ERR_USAGE',
  PCAP: 'NETMON_ERR_PCAP',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class NetmonError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NetmonError';
    this.code = code;
    this.retriable = options.retriable ?? false;
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

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
