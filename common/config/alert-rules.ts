// Loading the alert rules file (config/alerts.yaml by default, `alerts.rulesFile` in netmon.yaml):
// YAML -> strict schema -> frozen rules. A bad rule is a ConfigError naming the file and the path,
// e.g. `alerts.yaml: rules[2].threshold: expected number, received string`.
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseYamlText } from './yaml-text.js';
import { alertRulesFilePath } from './alerts-file.js';
import { alertsFileSchema, type AlertRule } from './alerts-schema.js';
import { validate } from './load.js';
import type { NetmonConfig } from './schema.js';
import { ConfigError, ErrorCodes, NetmonError } from '../errors.js';

/** Parses and validates rules text; `name` is how errors name the file. */
export function parseAlertRules(text: string, name: string, channelNames: readonly string[]): readonly AlertRule[] {
  const doc = parseYamlText(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigError(name, `not valid YAML: ${doc.errors[0].message}`);
  const parsed = validate(alertsFileSchema(channelNames), doc.toJS() ?? {}, name);
  return Object.freeze(parsed.rules.map((r) => Object.freeze(r)));
}

export function loadAlertRulesFile(file: string, channelNames: readonly string[]): readonly AlertRule[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new NetmonError(ErrorCodes.CONFIG_READ, `cannot read alert rules file ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseAlertRules(text, basename(file), channelNames);
}

/** The alert rules of a configuration and the file they come from. */
export interface AlertRulesSource {
  readonly rules: readonly AlertRule[];
  /** The rules file the dashboard administers; null when rules cannot change (no config file, or `alerts.rulesFile: ""`). */
  readonly file: string | null;
}

/**
 * The rules for a loaded configuration: none without a config file or with `alerts.rulesFile: ""`.
 * A rules file named in the config must exist; the default, alerts.yaml beside the config file, is
 * optional (a setup without alerts has none). Read once per process, by the command that runs the services.
 */
export function loadAlertRules(config: Pick<NetmonConfig, 'alerts'>, configPath: string | null): AlertRulesSource {
  const file = alertRulesFilePath(config, configPath);
  if (!file) return { rules: [], file };
  if (config.alerts.rulesFile === undefined && !existsSync(file)) return { rules: [], file };
  return { rules: loadAlertRulesFile(file, Object.keys(config.alerts.channels)), file };
}
