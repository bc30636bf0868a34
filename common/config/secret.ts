// Secret: a string that never prints. SNMP communities, v3 keys and passwords are held in it so that
// logging or printing a config (JSON, util.inspect, template strings) shows `<secret>` instead.
const REDACTED = '<secret>';

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The real value, for the one place that must hand it to a protocol library. */
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}
