import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { prettyLine } from './log-pretty.js';
import { createLogger } from './log.js';

const ESC = String.fromCharCode(27);
const plain = (s: string) => s.split(ESC).map((part, i) => (i === 0 ? part : part.replace(/^\[\d+m/, ''))).join('');

const at = Date.UTC(2026, 11, 5, 10, 4, 5, 123);

test('a pino line reads as time, level, message and every other field as key=value', () => {
  const line = JSON.stringify({ level: 40, time: at, pid: 7, name: 'netmon', msg: 'offset commit failed', partition: 3, err: 'The coordinator is loading', tags: ['a b'] });
  assert.equal(prettyLine(line, { colour: false }), '10:04:05.123 WARN  offset commit failed partition=3 err="The coordinator is loading" tags=["a b"]');
  const coloured = prettyLine(line, { colour: true });
  assert.ok(coloured.includes(`${ESC}[33mWARN `), coloured);
  assert.equal(plain(coloured), '10:04:05.123 WARN  offset commit failed partition=3 err="The coordinator is loading" tags=["a b"]');
});

test('an error object prints its message; a line that is not JSON passes through unchanged', () => {
  assert.equal(prettyLine(JSON.stringify({ level: 50, time: at, msg: 'x', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n  at y' } }), { colour: false }), '10:04:05.123 ERROR x err=boom');
  assert.equal(prettyLine('not json at all\n', { colour: false }), 'not json at all');
  assert.equal(prettyLine('[1,2]', { colour: false }), '[1,2]');
});

function capture(isTTY: boolean): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  Object.assign(stream, { isTTY });
  return { stream, text: () => text };
}

test('format auto writes readable lines to a terminal and JSON elsewhere; json and pretty force it; secrets stay redacted', () => {
  const cases = [
    { isTTY: true, format: 'auto', pretty: true },
    { isTTY: false, format: 'auto', pretty: false },
    { isTTY: true, format: 'json', pretty: false },
    { isTTY: false, format: 'pretty', pretty: true },
  ] as const;
  for (const c of cases) {
    const out = capture(c.isTTY);
    createLogger({ destination: out.stream, format: c.format }).info({ device: 'core1', snmp: { community: 'hunter2' } }, 'polled');
    const text = out.text();
    assert.ok(!text.includes('hunter2'), `${c.format}/${c.isTTY}: the secret is redacted`);
    if (c.pretty) assert.match(plain(text), /^\d\d:\d\d:\d\d\.\d{3} INFO {2}polled device=core1 snmp=\{"community":"<secret>"\}\n$/, `${c.format}/${c.isTTY}`);
    else assert.equal((JSON.parse(text) as { msg: string }).msg, 'polled', `${c.format}/${c.isTTY}`);
  }
});
