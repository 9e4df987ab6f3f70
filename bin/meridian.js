#!/usr/bin/env node
import { runMeridianCli } from '../dist/cli/meridian.js';

// Output piped into a program that stops reading early (`| head`) is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

await runMeridianCli(process.argv);
