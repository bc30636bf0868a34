// Tests of the secret types and the redaction of text: a SecretUrl prints its origin only, its
// secret parts are what redactSecrets blanks out (plain and URL-encoded), ordinary words survive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { Secret, SecretUrl, redactSecrets } from './secret.js';

void test('SecretUrl prints its origin, never the path, query or user info', () => {
  const u = new SecretUrl('https://bot:pa55word@hooks.example.com:8443/services/T0/B0/XyZtoken123?key=abcdefgh12&format=json');
  for (const printed of [String(u), u.toString(), JSON.stringify({ u }), inspect({ u })]) {
    assert.match(printed, /https:\/\/hooks\.example\.com:8443\/<secret>/);
    assert.doesNotMatch(printed, /XyZtoken123|abcdefgh12|pa55word|services/);
  }
  assert.equal(u.host, 'hooks.example.com:8443');
  assert.equal(u.reveal(), 'https://bot:pa55word@hooks.example.com:8443/services/T0/B0/XyZtoken123?key=abcdefgh12&format=json');
  assert.equal(String(new SecretUrl('http://10.0.0.1:9000/')), 'http://10.0.0.1:9000', 'nothing to hide: the origin as it is');
  assert.equal(String(new Secret('x')), '<secret>');
});

void test('redactSecrets blanks every secret part, plain and URL-encoded, and leaves the rest', () => {
  const u = new SecretUrl('https://hooks.example.com/services/XyZtoken123?key=abcdefgh12&format=json');
  const cases: Array<[string, string]> = [
    ['webhook to hooks.example.com answered 404: no such path /services/XyZtoken123?key=abcdefgh12&format=json', 'webhook to hooks.example.com answered 404: no such path <secret>'],
    ['bad key abcdefgh12 for json', 'bad key <secret> for json'],
    ['echo https%3A%2F%2Fhooks.example.com%2Fservices%2FXyZtoken123%3Fkey%3Dabcdefgh12%26format%3Djson', 'echo <secret>'],
    ['smtp login failed for s3cr3t pw', 'smtp login failed for <secret> pw'],
  ];
  for (const [text, want] of cases) assert.equal(redactSecrets(text, [...u.secretParts(), 's3cr3t']), want, text);
});
