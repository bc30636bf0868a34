// Generates the configuration reference (Markdown) from the schema itself, so README.md's table and
// the code cannot drift apart.
import { z } from 'zod';
import { deviceSchema, netmonConfigSchema } from '../common/config/schema.js';

interface Row {
  key: string;
  type: string;
  dflt: string;
  doc: string;
}

function unwrap(s: z.ZodType): { inner: z.ZodType; dflt: unknown; optional: boolean } {
  let t = s;
  let dflt: unknown = undefined;
  let optional = false;
  for (let i = 0; i < 10; i++) {
    const def = (t as unknown as { def: { type: string; innerType?: z.ZodType; defaultValue?: unknown; in?: z.ZodType } }).def;
    if (def.type === 'default' || def.type === 'prefault') {
      dflt = def.defaultValue;
      t = def.innerType!;
    } else if (def.type === 'optional') {
      optional = true;
      t = def.innerType!;
    } else if (def.type === 'pipe' && def.in) {
      t = def.in;
    } else break;
  }
  return { inner: t, dflt, optional };
}

function typeName(s: z.ZodType): string {
  const def = (s as unknown as { def: { type: string; entries?: Record<string, string>; element?: z.ZodType; values?: unknown[] } }).def;
  if (def.type === 'enum') return Object.values(def.entries ?? {}).map((v) => `"${v}"`).join(' \\| ');
  if (def.type === 'literal') return (def.values ?? []).map((v) => JSON.stringify(v)).join(' \\| ');
  if (def.type === 'array') return `list of ${typeName(unwrap(def.element!).inner)}`;
  return def.type;
}

function walk(schema: z.ZodType, prefix: string, rows: Row[]): void {
  const { inner } = unwrap(schema);
  if (!(inner instanceof z.ZodObject)) return;
  for (const [key, child] of Object.entries(inner.shape as unknown as Record<string, z.ZodType>)) {
    const { inner: ci, dflt, optional } = unwrap(child);
    const path = prefix ? `${prefix}.${key}` : key;
    const doc = child.description ?? ci.description ?? '';
    if (ci instanceof z.ZodObject) {
      walk(ci, path, rows);
      continue;
    }
    const def = (ci as unknown as { def: { type: string; options?: z.ZodType[] } }).def;
    if (def.type === 'union' && def.options) {
      rows.push({ key: path, type: 'object', dflt: '', doc });
      for (const opt of def.options) walk(opt, `${path}`, rows);
      continue;
    }
    rows.push({ key: path, type: typeName(ci), dflt: dflt === undefined ? (optional ? '(none)' : '(required)') : JSON.stringify(dflt), doc });
  }
}

export function configReference(): string {
  const section = (title: string, schema: z.ZodType, prefix: string) => {
    const rows: Row[] = [];
    walk(schema, prefix, rows);
    const seen = new Set<string>();
    const unique = rows.filter((r) => (seen.has(r.key + r.type) ? false : (seen.add(r.key + r.type), true)));
    return [`### ${title}`, '', '| key | type | default | meaning |', '| --- | --- | --- | --- |', ...unique.map((r) => `| \`${r.key}\` | ${r.type} | ${r.dflt} | ${r.doc} |`)].join('\n');
  };
  return [section('netmon.yaml', netmonConfigSchema, ''), '', section('devices.yaml: each entry of `devices`', deviceSchema, '')].join('\n');
}
