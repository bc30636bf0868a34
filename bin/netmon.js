#!/usr/bin/env node
// The `netmon` command: a thin shim over the compiled CLI (built by `npm ci` through the prepare script).
import { main } from '../dist/cli/netmon.js';

process.exitCode = await main(process.argv.slice(2));
