// The alert rules as the dashboard administers them. The rules file (the one loadAlertRules reads,
// config/alerts.yaml by default) is the source of truth; netmon.config follows it. Every change is
// validated with the file's schema (a bad rule names its field), applied to the file with the yaml
// Document API and written atomically, then published as `rule:<id>` (tombstone on delete). Changes
// run one at a time; each re-reads the file first, so a hand edit is never overwritten (a broken one
// blocks API changes until it is fixed). At start every rule of the file is published and rules the
// topic holds but the file no longer does are tombstoned, so the topic holds the file's rules. A change that could not reach Kafka is sent again with the next change.
// Shared (dashboard.shared): the topic is the source of truth and the file its written-through copy:
// at start the file is made to hold the topic's rules (a topic with no rule record yet is seeded from the file),
// and rules of other instances are written to the file as they arrive; the topic's order per rule
// decides between instances (last writer wins; dashboard/devices/echo-tracker.ts).
import { readFile } from 'node:fs/promises';
import { Document } from 'yaml';
import type { Clock } from '../../common/clock.js';
import { parseRulesText, removeRuleIn, setRuleIn, validateRule, type RulesDocument } from '../../common/config/alerts-file.js';
import type { AlertRule } from '../../common/config/alerts-schema.js';
import { writeFileAtomic } from '../../common/config/devices-file.js';
import { ConfigError, ConflictError, FileBrokenError, InputError, NotFoundError, PublishPendingError, errorMessage } from '../../common/errors.js';
import type { Component } from '../../common/lifecycle.js';
import type { Logger } from '../../common/log.js';
import { Counter, type Registry } from '../../common/metrics.js';
import type { RuleRecord, RuleTopic } from './rule-topic.js';
import { createEchoTracker } from '../devices/echo-tracker.js';
import { createSerial, runChange } from '../../common/serial.js';

/** The rules file on disk cannot be read as rules: API changes wait until it is fixed, so it is not overwritten. */
const fileBroken = (problem: string) => new FileBrokenError('the alert rules file cannot be used', problem);

export interface RuleStore extends Component {
  readonly file: string;
  list(): readonly AlertRule[];
  get(id: string): AlertRule | undefined;
  create(input: unknown): Promise<AlertRule>;
  replace(id: string, input: unknown): Promise<AlertRule>;
  remove(id: string): Promise<void>;
}

const NEW_FILE_HEADER = ' netmon alert rules. Edited by hand or from the dashboard (Alerts page); both keep comments.\n See README.md "Alerts" for the fields.';

export function createRuleStore(log: Logger, opts: { file: string; channelNames: readonly string[]; shared?: boolean }, deps: { topic: RuleTopic; clock: Clock; registry: Registry }): RuleStore {
  const { file, channelNames } = opts;
  const changes = new Counter({ name: 'netmon_dashboard_rule_changes_total', help: 'Alert rule changes saved from the API', registers: [deps.registry] });
  const publishErrors = new Counter({ name: 'netmon_dashboard_rule_publish_errors_total', help: 'Failed writes of alert rules to the config topic', registers: [deps.registry] });
  let state: RulesDocument = { doc: new Document({ rules: [] }), rules: [] };
  /** Rule ids changed in the file but not yet on the topic. */
  const unpublished = new Set<string>();
  const queue = createSerial();
  /** An API change, one at a time; a failure nobody foresaw says the change was not saved. */
  const change = <T>(fn: () => Promise<T>): Promise<T> => runChange(queue, log, 'alert rule change failed', fn);

  async function readState(): Promise<RulesDocument> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        const doc = new Document({ rules: [] });
        doc.commentBefore = NEW_FILE_HEADER;
        return { doc, rules: [] };
      }
      throw fileBroken(`cannot read ${file}: ${errorMessage(err)}`);
    }
    try {
      return parseRulesText(text, file, channelNames);
    } catch (err) {
      if (err instanceof ConfigError) throw fileBroken(err.message);
      throw err;
    }
  }

  /** Re-reads the file; rules changed by hand since the last read go out with the next publish. */
  async function refresh(): Promise<void> {
    const before = new Map(state.rules.map((r) => [r.id, JSON.stringify(r)]));
    state = await readState();
    const after = new Map(state.rules.map((r) => [r.id, JSON.stringify(r)]));
    for (const id of new Set([...before.keys(), ...after.keys()])) if (before.get(id) !== after.get(id)) unpublished.add(id);
  }

  async function publishPending(): Promise<void> {
    if (unpublished.size === 0) return;
    const batch = [...unpublished].map((id) => ({ id, rule: state.rules.find((r) => r.id === id) ?? null }));
    const ids = batch.map((c) => c.id);
    echoes.sending(ids);
    try {
      await deps.topic.publish(batch, deps.clock.now());
    } catch (err) {
      echoes.failed(ids);
      publishErrors.inc();
      throw new PublishPendingError('alert rules file', err);
    }
    for (const c of batch) unpublished.delete(c.id);
    log.info({ changes: batch.map((c) => `${c.rule ? 'set' : 'delete'} ${c.id}`) }, 'alert rule changes published to the config topic');
  }

  /** Re-reads the file, applies `edit` to it, validates the result as the loader would, writes, publishes. */
  async function commit(id: string, edit: (doc: Document, rules: readonly AlertRule[]) => void): Promise<void> {
    await refresh();
    const doc = state.doc.clone();
    edit(doc, state.rules);
    const text = doc.toString();
    let next: RulesDocument;
    try {
      next = parseRulesText(text, file, channelNames);
    } catch (err) {
      // Input is validated before it gets here; this guards the file against anything that slipped through.
      if (err instanceof ConfigError) throw new InputError(err.path.slice(file.length + 2).replace(/^rules\[\d+\]\.?/, '').replace(/[.[\]]+/g, '/').replace(/\/$/, '') || '(rule)', err.message.slice(err.path.length + 2));
      throw err;
    }
    await writeFileAtomic(file, text);
    state = next;
    changes.inc();
    unpublished.add(id);
    await publishPending();
  }

  const echoes = createEchoTracker();
  const remoteChanges = new Counter({ name: 'netmon_dashboard_rule_remote_changes_total', help: 'Rule records of other dashboard instances read from the config topic (dashboard.shared), by result: applied, behind (an own later record of the rule wins), unusable', labelNames: ['result'], registers: [deps.registry] });
  /** The rules on the topic (shared mode), as JSON per id. */
  const onTopic = new Map<string, AlertRule>();
  const same = (a: AlertRule | undefined, b: AlertRule | undefined) => JSON.stringify(a) === JSON.stringify(b);

  /** Writes `rule` (null: removes `id`) into the file; throws when this instance cannot use the rule (e.g. a channel it does not have). */
  async function writeThrough(id: string, rule: AlertRule | null): Promise<boolean> {
    const old = state.rules.find((r) => r.id === id);
    if (rule ? same(old, rule) : old === undefined) return false;
    const doc = state.doc.clone();
    if (rule) setRuleIn(doc, rule, old);
    else removeRuleIn(doc, id);
    const text = doc.toString();
    const next = parseRulesText(text, file, channelNames);
    await writeFileAtomic(file, text);
    state = next;
    return true;
  }

  function fromRecord(r: RuleRecord): AlertRule | null {
    if (!r.rule) return null;
    const rule = validateRule(r.rule, channelNames);
    if (rule.id !== r.id) throw new InputError('id', `must be "${r.id}" (the record key)`);
    return rule;
  }

  async function applyRecord(r: RuleRecord): Promise<void> {
    const verdict = echoes.seen(r.id, r.own);
    if (verdict !== 'apply') {
      if (verdict === 'behind-own') remoteChanges.inc({ result: 'behind' });
      return;
    }
    try {
      await refresh();
      const rule = fromRecord(r);
      if (rule) onTopic.set(r.id, rule);
      else onTopic.delete(r.id);
      if (await writeThrough(r.id, rule)) remoteChanges.inc({ result: 'applied' });
      unpublished.delete(r.id);
    } catch (err) {
      remoteChanges.inc({ result: 'unusable' });
      log.warn({ id: r.id, err: errorMessage(err) }, 'alert rule of another dashboard instance cannot be used here; not applied');
    }
  }

  async function startShared(): Promise<void> {
    let started = false;
    let records = 0;
    await deps.topic.follow((r) => {
      if (started) return queue.run(() => applyRecord(r));
      records++;
      echoes.seen(r.id, r.own);
      try {
        const rule = fromRecord(r);
        if (rule) onTopic.set(r.id, rule);
        else onTopic.delete(r.id);
      } catch (err) {
        log.warn({ id: r.id, err: errorMessage(err) }, 'alert rule on the config topic cannot be used here; skipped');
      }
      return undefined;
    });
    started = true;
    // Only a topic that never held a rule record (tombstones count) is seeded: else a file that
    // missed a deletion would bring the rule back.
    if (records === 0) {
      for (const r of state.rules) unpublished.add(r.id);
      await publishPending();
      return;
    }
    const ids = new Set([...state.rules.map((r) => r.id), ...onTopic.keys()]);
    let changed = 0;
    for (const id of ids) if (await writeThrough(id, onTopic.get(id) ?? null)) changed++;
    if (changed > 0) log.info({ file, changes: changed }, 'alert rules file brought in line with the config topic (dashboard.shared)');
  }

  function mustGet(id: string): AlertRule {
    const r = state.rules.find((x) => x.id === id);
    if (!r) throw new NotFoundError(`no alert rule with id "${id}"`);
    return r;
  }

  return {
    name: 'rule-store',
    file,
    async start() {
      state = await readState();
      await deps.topic.connect();
      if (opts.shared) await queue.run(startShared);
      else {
        // The topic follows the file: every rule of the file, and a tombstone for a rule removed by hand.
        for (const r of state.rules) unpublished.add(r.id);
        for (const id of await deps.topic.readRuleIds()) unpublished.add(id);
        await publishPending();
      }
      log.info({ file, rules: state.rules.length }, 'alert rules loaded');
    },
    async stop() {
      await queue.idle();
      await deps.topic.disconnect();
    },
    list: () => state.rules,
    get: (id) => state.rules.find((r) => r.id === id),
    create: (input) =>
      change(async () => {
        const rule = validateRule(input, channelNames);
        await refresh();
        if (state.rules.some((r) => r.id === rule.id)) throw new ConflictError(`an alert rule with id "${rule.id}" already exists`, 'id');
        await commit(rule.id, (doc) => setRuleIn(doc, rule, undefined));
        return mustGet(rule.id);
      }),
    replace: (id, input) =>
      change(async () => {
        const rule = validateRule(input, channelNames);
        if (rule.id !== id) throw new InputError('id', `must be "${id}" (the id in the URL); to rename, create the new rule and delete the old one`);
        await refresh();
        const old = mustGet(id);
        await commit(id, (doc) => setRuleIn(doc, rule, old));
        return mustGet(id);
      }),
    remove: (id) =>
      change(async () => {
        await refresh();
        mustGet(id);
        await commit(id, (doc) => removeRuleIn(doc, id));
      }),
  };
}
