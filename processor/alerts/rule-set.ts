// The processor's live rule set (pure): starts from the rules file and applies the `rule:<id>`
// records of netmon.config (a value sets the rule, a tombstone removes it; `device:` keys are not
// ours and are skipped). A record is validated with the file's schema; a bad one throws and changes
// nothing. `keptStates` decides which alert states survive a rule change:
// - a removed rule's states are dropped, and its alerts end (`endedAlerts`: a firing one resolves,
//   a pending one is cancelled, with the reason), so no alert of a rule that is gone stays active;
// - a changed rule keeps its states only when its metric and scope are unchanged (a new threshold,
//   hysteresis, for-N, severity, channels ... continue from the current state, e.g. a firing alert
//   stays firing and resolves by the new clear threshold); a new metric or scope starts fresh.
import { validateRule } from '../../common/config/alerts-file.js';
import type { AlertRule } from '../../common/config/alerts-schema.js';
import { parseConfigKey, type ConfigChange } from '../../common/contracts/config-change.js';
import { ruleEndEvent, type EvaluatedAlert, type ScopeState } from './evaluator.js';

export interface RuleSet {
  rules(): readonly AlertRule[];
  /** Applies one config-topic record; true when the rule set changed. Throws on a bad record. */
  apply(key: string, change: ConfigChange | null): boolean;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function createRuleSet(initial: readonly AlertRule[], channelNames: readonly string[]): RuleSet {
  const rules = new Map(initial.map((r) => [r.id, r]));
  return {
    rules: () => [...rules.values()],
    apply(key, change) {
      const { kind, id } = parseConfigKey(key);
      if (kind !== 'rule') return false;
      if (!change?.rule) return rules.delete(id);
      let rule: AlertRule;
      try {
        rule = validateRule(change.rule, channelNames);
      } catch (err) {
        throw new Error(`rule ${id}: ${(err as Error).message}`, { cause: err });
      }
      if (rule.id !== id) throw new Error(`rule ${id}: id: must be "${id}" (the record key)`);
      if (same(rules.get(id), rule)) return false;
      rules.set(id, Object.freeze(rule));
      return true;
    },
  };
}

/** Whether a rule change keeps the rule's alert states (same metric and scope). */
export function keepsState(before: AlertRule, after: AlertRule): boolean {
  return before.metric === after.metric && same(before.scope, after.scope);
}

/** Splits the current states for a new rule set: the ones kept, and the keys of the ones dropped. */
export function keptStates(before: readonly AlertRule[], after: readonly AlertRule[], states: readonly ScopeState[]): { kept: ScopeState[]; dropped: string[] } {
  const old = new Map(before.map((r) => [r.id, r]));
  const next = new Map(after.map((r) => [r.id, r]));
  const kept: ScopeState[] = [];
  const dropped: string[] = [];
  for (const s of states) {
    const a = old.get(s.ruleId);
    const b = next.get(s.ruleId);
    if (b && (!a || keepsState(a, b))) kept.push(s);
    else dropped.push(s.key);
  }
  return { kept, dropped };
}

/**
 * The events that end the alerts of the states a rule change drops (keptStates): the rule was
 * removed, or its metric or scope changed (the new definition starts fresh).
 */
export function endedAlerts(before: readonly AlertRule[], after: readonly AlertRule[], states: readonly ScopeState[], windowMs: number): EvaluatedAlert[] {
  const old = new Map(before.map((r) => [r.id, r]));
  const next = new Map(after.map((r) => [r.id, r]));
  const out: EvaluatedAlert[] = [];
  for (const s of states) {
    const a = old.get(s.ruleId);
    const b = next.get(s.ruleId);
    if (a === undefined || (b && keepsState(a, b))) continue;
    const e = ruleEndEvent(a, s, windowMs, b ? 'the rule now watches another metric or scope' : 'the rule was removed');
    if (e) out.push(e);
  }
  return out;
}
