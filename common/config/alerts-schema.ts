// The alert rules file (config/alerts.yaml): one strict zod schema, like every netmon config, so a
// bad rule is rejected with its path named (`alerts.yaml: rules[2].threshold: expected number`).
// Cross-field rules (hysteresis direction, unique ids, known channels) live here too.
import { z } from 'zod';
import { ALERT_SEVERITIES } from '../contracts/alert-event.js';
import { DEVICE_ID_PATTERN, regexSchema, uniqueIdCheck } from './schema.js';

/** Metrics a rule can watch. Rates come from WindowResult; errors/discards per second are totals over the covered time. */
export const ALERT_METRICS = [
  'in_bps', 'out_bps', 'in_utilization', 'out_utilization', 'in_pps', 'out_pps',
  'in_errors_ps', 'out_errors_ps', 'in_discards_ps', 'out_discards_ps',
  // Fraction [0, 1] of the window's polls that saw the interface oper-down (ifOperStatus down,
  // lowerLayerDown or notPresent); e.g. `comparator: ">"`, `threshold: 0` fires on any down poll.
  'oper_down',
  // Fraction [0, 1] of the window's polls of the device that found it unreachable (from the collector's
  // netmon.status records, in the poll's event time); needs scope.target: device.
  'device_unreachable',
] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];
export const COMPARATORS = ['>', '>=', '<', '<='] as const;
export type Comparator = (typeof COMPARATORS)[number];

const ruleId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be 1-128 of letters, digits, ".", "_", "-", starting with a letter or digit');

export const alertScopeSchema = z.strictObject({
  devices: z.array(z.string().regex(DEVICE_ID_PATTERN, 'must be a device id')).default([]).describe('Device ids (empty = every device, unless tags are given)'),
  tags: z.array(z.string().min(1).max(64)).default([]).describe('Devices with any of these tags (ORed with devices)'),
  interfaces: z.array(regexSchema).default([]).describe('Interface names (regular expressions, whole-name match); empty = every interface'),
  target: z.enum(['interface', 'device']).default('interface').describe('Evaluate per interface, or on the device rollup (sum of the interfaces)'),
});

export const alertRuleSchema = z
  .strictObject({
    id: ruleId.describe('Stable rule id (part of every alert id)'),
    description: z.string().max(512).default('').describe('What the rule is for (shown in notifications)'),
    enabled: z.boolean().default(true).describe('Evaluate this rule'),
    metric: z.enum(ALERT_METRICS).describe('What to watch'),
    scope: alertScopeSchema.prefault({}).describe('Which devices and interfaces'),
    comparator: z.enum(COMPARATORS).default('>').describe('Fires when `value comparator threshold`'),
    threshold: z.number().describe('Fire threshold, in the metric\'s unit (bit/s, %, packet/s, error/s)'),
    clearThreshold: z.number().optional().describe('Resolve only when the value is back across this (hysteresis); default = threshold'),
    forWindows: z.number().int().min(1).max(1440).default(1).describe('Consecutive breaching windows before firing (pending until then)'),
    clearForWindows: z.number().int().min(1).max(1440).default(1).describe('Consecutive clear windows before resolving'),
    severity: z.enum(ALERT_SEVERITIES).default('warning').describe('Severity'),
    channels: z.array(z.string().min(1).max(64)).default([]).describe('Channel names (from `channels`) to notify'),
    repeatIntervalSeconds: z.number().int().min(0).max(30 * 86400).default(0).describe('Re-notify a firing alert this often, in event time (0 = never); an acknowledgement stops it'),
    minCoverage: z.number().min(0).max(1).default(0.5).describe('Windows covered less than this are missing data: they neither fire nor resolve'),
    flapping: z
      .strictObject({
        flips: z.number().int().min(1).max(1000).default(4).describe('More than this many state flips ...'),
        windows: z.number().int().min(2).max(1440).default(20).describe('... within this many windows = flapping (held firing)'),
      })
      .prefault({})
      .describe('Flap detection'),
  })
  .superRefine((r, ctx) => {
    if (r.metric === 'device_unreachable' && r.scope.target !== 'device') ctx.addIssue({ code: 'custom', path: ['scope', 'target'], message: 'must be "device" for metric device_unreachable' });
    if (r.metric === 'oper_down' && r.scope.target !== 'interface') ctx.addIssue({ code: 'custom', path: ['scope', 'target'], message: 'must be "interface" for metric oper_down' });
    if (r.clearThreshold === undefined) return;
    const above = r.comparator === '>' || r.comparator === '>=';
    if (above ? r.clearThreshold > r.threshold : r.clearThreshold < r.threshold) {
      ctx.addIssue({ code: 'custom', path: ['clearThreshold'], message: `must be ${above ? '<=' : '>='} threshold (${r.threshold}) for comparator "${r.comparator}"` });
    }
  });

/** The rules file; `channelNames` (from netmon.yaml alerts.channels) are the names a rule may use. */
export const alertsFileSchema = (channelNames: readonly string[]) => z
  .strictObject({
    rules: z.array(alertRuleSchema).default([]).describe('Alert rules'),
  })
  .superRefine((f, ctx) => {
    const unique = uniqueIdCheck('rules', 'rule', ctx);
    f.rules.forEach((r, i) => {
      unique(r.id, i);
      r.channels.forEach((c, j) => {
        if (!channelNames.includes(c)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'channels', j], message: `unknown channel "${c}"; defined in netmon.yaml alerts.channels: ${channelNames.join(', ') || '(none)'}` });
      });
    });
  });

export type AlertRule = z.output<typeof alertRuleSchema>;
export type AlertsFile = z.output<ReturnType<typeof alertsFileSchema>>;
