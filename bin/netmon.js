#!/usr/bin/env node
// The `netmon` command: a thin shim over the compiled CLI (built by `npm ci` through the prepare script).
import { main } from '../dist/cli/netmon.js';

// Output piped into a reader that stops early (`netmon check-config | head`) is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await main(process.argv.slice(2));
// The command is done and every component has stopped: a socket a library left open (kafkajs's
// group coordinator connection after a broker restart) must not keep a stopped service alive, so
// the process ends a few seconds later whatever is still open (an unref'd timer: an idle process
// ends at once, as before).
setTimeout(() => process.exit(process.exitCode), 3000).unref();
