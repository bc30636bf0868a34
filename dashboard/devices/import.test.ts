// Tests of bulk-import parsing: CSV (quoting, tags, numbers, bad columns, short rows) and YAML rows
// with their lines; format detection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../common/errors.js';
import { detectFormat, parseCsv, parseImport } from './import.js';

void test('parseCsv: RFC 4180 quoting, CRLF, blank lines, line numbers', () => {
  const recs = parseCsv('a,b,c\r\n"x, y","say ""hi""",3\n\n"multi\nline",2,\n');
  assert.deepEqual(recs, [
    { line: 1, fields: ['a', 'b', 'c'] },
    { line: 2, fields: ['x, y', 'say "hi"', '3'] },
    { line: 4, fields: ['multi\nline', '2', ''] },
  ]);
  assert.throws(() => parseCsv('a\n"open'), (e: unknown) => e instanceof InputError && e.field === 'line 2');
});

void test('parseImport csv: rows become device input; unreadable rows are reported with the field', () => {
  const text = ['id,host,port,enabled,tags,version,community', 'r1,10.0.0.1,1161,no,core;edge,2c,pub', 'r2,10.0.0.2,,,,2c,x', 'r3,10.0.0.3'].join('\n');
  const rows = parseImport(text, 'csv');
  assert.equal(rows.length, 3);
  assert.deepEqual(rows[0], { row: 1, line: 2, input: { id: 'r1', host: '10.0.0.1', port: 1161, enabled: false, tags: ['core', 'edge'], snmp: { version: '2c', community: 'pub' } } });
  assert.deepEqual(rows[1].input, { id: 'r2', host: '10.0.0.2', snmp: { version: '2c', community: 'x' } });
  assert.equal(rows[2].error?.field, '(row)');
  assert.match(rows[2].error?.message ?? '', /has 2 fields, the header has 7/);
});

void test('parseImport csv: an unknown column or a header without id/host is refused as a whole', () => {
  assert.throws(() => parseImport('id,host,colour\nr1,h,red', 'csv'), /unknown column "colour"; allowed: id, host/);
  assert.throws(() => parseImport('host,port\nh,1', 'csv'), /at least the columns id and host/);
  assert.throws(() => parseImport('', 'csv'), /empty/);
});

void test('parseImport yaml: a devices: list or a bare list, with the line of each entry', () => {
  const text = '# lab\ndevices:\n  - id: a\n    host: h1\n    snmp: {version: "2c", community: x}\n  - just a string\n';
  const rows = parseImport(text, 'yaml');
  assert.equal(rows.length, 2);
  assert.equal(rows[0].line, 3);
  assert.deepEqual(rows[0].input, { id: 'a', host: 'h1', snmp: { version: '2c', community: 'x' } });
  assert.equal(rows[1].error?.field, '(row)');
  assert.equal(parseImport('- id: b\n  host: h\n', 'yaml')[0].input?.id, 'b');
  assert.throws(() => parseImport('devices: [a, b\n', 'yaml'), /not valid YAML/);
  assert.throws(() => parseImport('foo: 1\n', 'yaml'), /expected a list of devices/);
});

void test('detectFormat: content type first, then the text', () => {
  assert.equal(detectFormat('text/csv; charset=utf-8', 'devices:'), 'csv');
  assert.equal(detectFormat('application/yaml', 'id,host'), 'yaml');
  assert.equal(detectFormat('text/plain', '# c\ndevices:\n'), 'yaml');
  assert.equal(detectFormat(undefined, '- id: a'), 'yaml');
  assert.equal(detectFormat(undefined, 'id,host\n'), 'csv');
});

void test('parseImport yaml: a text nested too deep is refused naming the line, not a stack overflow', () => {
  const deep = `devices:\n  - id: r1\n    host: h\n    tags: ${'['.repeat(200)}${']'.repeat(200)}\n`;
  assert.throws(() => parseImport(deep, 'yaml'), (e: unknown) => e instanceof InputError && e.field === 'line 4' && /nested deeper than 64 levels/.test(e.message));
  assert.throws(() => parseImport(`devices: ${'['.repeat(20_000)}\n`, 'yaml'), (e: unknown) => e instanceof InputError && /nested deeper than 64 levels/.test(e.message) && !/call stack/.test(e.message));
});
