#!/usr/bin/env node
// The `sieve` command: runs the compiled CLI (npm run build makes it).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('sieve: not built yet; run "npm run build" first\n');
  process.exit(1);
}
await import(entry.href);
