// Tests of the error catalogue: every code is NETMON_ERR_<name> with an HTTP status and a retriable
// default, the classes carry their code and fields, and asNetmonError keeps deliberate errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  asNetmonError,
  ConfigError,
  ConflictError,
  DecodeError,
  ERROR_CATALOGUE,
  ErrorCodes,
  errorSpec,
  FileBrokenError,
  InputError,
  NetmonError,
  NotFoundError,
  PcapError,
  PublishPendingError,
  UsageError,
  type ErrorName,
} from './errors.js';

void test('every code is NETMON_ERR_<name>, with an HTTP error status and a retriable default', () => {
  for (const name of Object.keys(ERROR_CATALOGUE) as ErrorName[]) {
    const code = ErrorCodes[name];
    assert.equal(code, `NETMON_ERR_${name}`);
    const spec = errorSpec(code);
    assert.equal(spec, ERROR_CATALOGUE[name], name);
    assert.ok(spec.status >= 400 && spec.status <= 599, `${name}: ${spec.status}`);
    assert.equal(typeof spec.retriable, 'boolean', name);
  }
});

void test('the catalogue: statuses and retriable defaults of the codes the dashboard answers with', () => {
  const cases: { name: ErrorName; status: number; retriable: boolean }[] = [
    { name: 'INPUT', status: 400, retriable: false },
    { name: 'UNAUTHORIZED', status: 401, retriable: false },
    { name: 'FORBIDDEN', status: 403, retriable: false },
    { name: 'NOT_FOUND', status: 404, retriable: false },
    { name: 'CONFLICT', status: 409, retriable: false },
    { name: 'CONFIG_INVALID', status: 409, retriable: false },
    { name: 'RATE_LIMITED', status: 429, retriable: true },
    { name: 'INTERNAL', status: 500, retriable: false },
    { name: 'SNMP_TIMEOUT', status: 502, retriable: true },
    { name: 'SNMP_AUTH', status: 502, retriable: false },
    { name: 'SNMP_PROTOCOL', status: 502, retriable: true },
    { name: 'SNMP_BAD_REPLY', status: 502, retriable: false },
    { name: 'KAFKA', status: 503, retriable: true },
    { name: 'INFLUX', status: 503, retriable: true },
    { name: 'UNAVAILABLE', status: 503, retriable: false },
  ];
  for (const c of cases) {
    const err = new NetmonError(ErrorCodes[c.name], 'x');
    assert.equal(err.httpStatus, c.status, c.name);
    assert.equal(err.retriable, c.retriable, c.name);
  }
});

void test('NetmonError: the raiser may override retriable; the cause is kept', () => {
  const cause = new Error('socket hang up');
  const err = new NetmonError(ErrorCodes.KAFKA, 'producer is not connected', { cause, retriable: false });
  assert.equal(err.retriable, false);
  assert.equal(err.cause, cause);
  assert.equal(err.code, 'NETMON_ERR_KAFKA');
  assert.ok(err instanceof Error);
  assert.equal(new NetmonError(ErrorCodes.USAGE, 'x').cause, undefined);
});

void test('the classes: code, message and the fields a reader needs', () => {
  const cases: { name: string; err: NetmonError; code: string; message: string; fields?: Record<string, unknown> }[] = [
    { name: 'input, default message', err: new InputError('snmp.community', 'required'), code: ErrorCodes.INPUT, message: 'snmp.community: required', fields: { field: 'snmp.community', problem: 'required' } },
    { name: 'input, worded message', err: new InputError('to', 'must be after from', { message: 'querystring/to must be after from' }), code: ErrorCodes.INPUT, message: 'querystring/to must be after from', fields: { field: 'to', problem: 'must be after from' } },
    { name: 'not found', err: new NotFoundError('no device with id "x"'), code: ErrorCodes.NOT_FOUND, message: 'no device with id "x"' },
    { name: 'conflict with a field', err: new ConflictError('a device with id "x" already exists', 'id'), code: ErrorCodes.CONFLICT, message: 'a device with id "x" already exists', fields: { field: 'id' } },
    { name: 'conflict without', err: new ConflictError('taken'), code: ErrorCodes.CONFLICT, message: 'taken', fields: { field: undefined } },
    {
      name: 'file broken',
      err: new FileBrokenError('the devices file has a hand edit that cannot be used', 'devices.yaml:3: devices[0].host: bad'),
      code: ErrorCodes.CONFIG_INVALID,
      message: 'the devices file has a hand edit that cannot be used; fix or revert it first (changes from here would overwrite it): devices.yaml:3: devices[0].host: bad',
    },
    {
      name: 'publish pending',
      err: new PublishPendingError('alert rules file', new Error('broker down')),
      code: ErrorCodes.KAFKA,
      message: 'saved to the alert rules file, but netmon.config could not be written (broker down); it will be retried with the next change',
      fields: { retriable: true },
    },
    { name: 'config', err: new ConfigError('kafka.brokers[0]', 'bad'), code: ErrorCodes.CONFIG_INVALID, message: 'kafka.brokers[0]: bad', fields: { path: 'kafka.brokers[0]' } },
    { name: 'decode', err: new DecodeError('deviceId', 'missing'), code: ErrorCodes.DECODE, message: 'deviceId: missing', fields: { field: 'deviceId' } },
    { name: 'usage', err: new UsageError('--device ID is required'), code: ErrorCodes.USAGE, message: '--device ID is required' },
    { name: 'pcap', err: new PcapError('truncated', 'cut short', { offset: 40, packet: 2 }), code: ErrorCodes.PCAP, message: 'cut short', fields: { kind: 'truncated', offset: 40, packet: 2 } },
  ];
  for (const c of cases) {
    assert.ok(c.err instanceof NetmonError, c.name);
    assert.equal(c.err.code, c.code, c.name);
    assert.equal(c.err.message, c.message, c.name);
    for (const [k, v] of Object.entries(c.fields ?? {})) assert.equal((c.err as unknown as Record<string, unknown>)[k], v, `${c.name}: ${k}`);
  }
});

void test('asNetmonError keeps a deliberate error and wraps anything else as INTERNAL, saying what failed', () => {
  const deliberate = new NotFoundError('no such thing');
  assert.equal(asNetmonError(deliberate, 'the change was not saved'), deliberate);
  const io = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
  const wrapped = asNetmonError(io, 'the change was not saved');
  assert.equal(wrapped.code, ErrorCodes.INTERNAL);
  assert.equal(wrapped.message, 'the change was not saved: EACCES: permission denied');
  assert.equal(wrapped.cause, io);
  assert.equal(asNetmonError('a string', 'failed').message, 'failed: a string');
});
