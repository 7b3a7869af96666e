#!/usr/bin/env node
import { processIo } from './io';
import { run } from './run';

run(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`internal error: ${(e as Error)?.message ?? String(e)}\n`);
    process.exitCode = 70;
  },
);
