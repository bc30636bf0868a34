#!/usr/bin/env node
// The `netmon` command: a thin shim over the compiled CLI (built by `npm ci` through the prepare script).
import { main } from '../dist/cli/netmon.js';

// Output piped into a reader that stops early (`netmon check-config | head`) is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await main(process.argv.slice(2));
