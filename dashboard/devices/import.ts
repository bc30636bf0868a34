// Bulk import: a device list as CSV or YAML text -> one candidate per row, each still unvalidated
// (the store validates every row with the config schema and reports per row). Pure. CSV: a header
// row naming the columns (IMPORT_COLUMNS; unknown ones are an error naming the column), RFC 4180
// quoting, tags separated by ";". YAML: a `devices:` list as in config/devices.yaml, or a bare list.
import { isMap, isSeq, LineCounter } from 'yaml';
import { parseYamlText } from '../../common/config/yaml-text.js';
import { InputError } from '../../common/errors.js';

export const IMPORT_COLUMNS = ['id', 'host', 'port', 'enabled', 'tags', 'version', 'community', 'username', 'level', 'authProtocol', 'authKey', 'privProtocol', 'privKey', 'context', 'timeoutMs', 'retries'] as const;
const REQUIRED_COLUMNS = ['id', 'host'] as const;
const SNMP_COLUMNS = new Set(['version', 'community', 'username', 'level', 'authProtocol', 'authKey', 'privProtocol', 'privKey', 'context']);
export const MAX_IMPORT_ROWS = 10_000;

export type ImportFormat = 'csv' | 'yaml';

/** A row as read: `input` to validate, or `error` (with the field) when the row cannot even be read. */
export interface ImportRow {
  row: number;
  line: number;
  input?: Record<string, unknown>;
  error?: { field: string; message: string };
}

/** The text as a whole cannot be read: the InputError's field is the line (`line 3`). */
function unreadable(line: number, problem: string): InputError {
  return new InputError(`line ${line}`, problem);
}

/** csv for text/csv, yaml for *yaml*; otherwise guessed from the text. */
export function detectFormat(contentType: string | undefined, text: string): ImportFormat {
  const ct = (contentType ?? '').toLowerCase();
  if (ct.includes('csv')) return 'csv';
  if (ct.includes('yaml')) return 'yaml';
  const first = text.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('#')) ?? '';
  return /^\s*(devices\s*:|-\s)/.test(first) ? 'yaml' : 'csv';
}

/** Splits CSV text into records of fields, with the 1-based line each record starts on. */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let fieldStarted = false;
  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0].trim() === '')) records.push({ line: start, fields });
    fields = [];
    field = '';
    fieldStarted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      fieldStarted = false;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (quoted) throw unreadable(start, 'a quoted field is not closed');
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}

function csvRows(text: string): ImportRow[] {
  const records = parseCsv(text).filter((r) => !r.fields[0].trimStart().startsWith('#'));
  if (records.length === 0) throw unreadable(1, `empty: expected a header row with columns from ${IMPORT_COLUMNS.join(', ')}`);
  const header = records[0].fields.map((h) => h.trim());
  header.forEach((h) => {
    if (!(IMPORT_COLUMNS as readonly string[]).includes(h)) throw unreadable(records[0].line, `unknown column "${h}"; allowed: ${IMPORT_COLUMNS.join(', ')}`);
  });
  if (!REQUIRED_COLUMNS.every((c) => header.includes(c))) throw unreadable(records[0].line, `the header must name at least the columns ${REQUIRED_COLUMNS.join(' and ')}`);
  return records.slice(1).map((rec, i): ImportRow => {
    const row = i + 1;
    if (rec.fields.length !== header.length) {
      return { row, line: rec.line, error: { field: '(row)', message: `has ${rec.fields.length} fields, the header has ${header.length}` } };
    }
    const input: Record<string, unknown> = {};
    const snmp: Record<string, unknown> = {};
    for (let c = 0; c < header.length; c++) {
      const name = header[c];
      const raw = rec.fields[c].trim();
      if (raw === '') continue;
      let value: unknown = raw;
      if (name === 'port' || name === 'timeoutMs' || name === 'retries') value = /^-?\d+$/.test(raw) ? Number(raw) : raw;
      else if (name === 'enabled') value = /^(true|yes|1)$/i.test(raw) ? true : /^(false|no|0)$/i.test(raw) ? false : raw;
      else if (name === 'tags') value = raw.split(';').map((t) => t.trim()).filter(Boolean);
      if (SNMP_COLUMNS.has(name)) snmp[name] = value;
      else input[name] = value;
    }
    if (Object.keys(snmp).length > 0) input.snmp = snmp;
    return { row, line: rec.line, input };
  });
}

function yamlRows(text: string): ImportRow[] {
  const lines = new LineCounter();
  const doc = parseYamlText(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) throw unreadable(doc.errors[0].linePos?.[0]?.line ?? 1, `not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  const contents = doc.contents;
  const seq = isSeq(contents) ? contents : isMap(contents) ? contents.get('devices', true) : undefined;
  if (!isSeq(seq)) throw unreadable(1, 'expected a list of devices (a `devices:` list, as in devices.yaml, or a bare list)');
  return seq.items.map((item, i): ImportRow => {
    const range = (item as { range?: readonly number[] } | null)?.range;
    const line = range ? lines.linePos(range[0]).line : 1;
    if (!isMap(item)) return { row: i + 1, line, error: { field: '(row)', message: 'must be a mapping with id, host, snmp, ...' } };
    return { row: i + 1, line, input: item.toJSON() as Record<string, unknown> };
  });
}

/** Reads the rows of an import; throws an InputError naming the line when the text as a whole cannot be read. */
export function parseImport(text: string, format: ImportFormat): ImportRow[] {
  const rows = format === 'csv' ? csvRows(text) : yamlRows(text);
  if (rows.length > MAX_IMPORT_ROWS) throw unreadable(1, `at most ${MAX_IMPORT_ROWS} devices per import (got ${rows.length})`);
  return rows;
}
