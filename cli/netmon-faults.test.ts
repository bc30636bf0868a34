// The CLI's process-level policy as a user meets it: a running command (`netmon lab`, which runs
// under a supervisor like the services) meets an unhandled rejection or an uncaught exception, and
// stops every component in reverse order, exits 1 and names the reason on stderr. The fault is
// raised by a line on stdin once the command is up, from a wrapper that loads the real CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../common/package-root.js';

const cli = pathToFileURL(join(repoRoot(), 'dist', 'cli', 'netmon.js')).href;

const FAULTS = {
  'unhandled-rejection': "void Promise.reject(new Error('boom: a promise nobody awaited'))",
  'uncaught-exception': "setImmediate(() => { throw new Error('boom: thrown in a callback'); })",
} as const;

for (const [reason, raise] of Object.entries(FAULTS)) {
  test(`a running command meeting an ${reason}: components stop in reverse order, exit 1, the reason on stderr`, { timeout: 60_000 }, async () => {
    const port = 40_000 + Math.floor(Math.random() * 20_000);
    const script = [
      `import { main } from ${JSON.stringify(cli)};`,
      `process.stdin.on('data', (d) => { if (String(d).includes('fault')) ${raise}; });`,
      `process.exitCode = await main(['lab', '--devices', '1', '--ports', '1', '--base-port', '${port}']);`,
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NETMON_STACK_ENV: '/nonexistent' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      for (let i = 0; i < 3000 && !/"component":"lab-console".*"msg":"started"/.test(stdout); i++) await new Promise((r) => setTimeout(r, 10));
      assert.match(stdout, /"component":"lab-console".*"msg":"started"/, `the lab did not start: ${stderr}`);
      child.stdin.write('fault\n');
      const code = await exited;
      assert.equal(code, 1, `exit code; stderr: ${stderr}`);
      assert.match(stderr, new RegExp(`netmon lab: ${reason}: boom: .* \\[NETMON_ERR_INTERNAL\\]`));
      const stops = stdout.split('\n').filter((l) => l.includes('"msg":"stopped"')).map((l) => (JSON.parse(l) as { component: string }).component);
      assert.deepEqual(stops, ['lab-console', 'lab'], 'stopped in reverse start order');
      assert.match(stdout, new RegExp(`"reason":"${reason}".*"msg":"fatal failure; stopping every component in order"`));
    } finally {
      child.kill();
    }
  });
}
