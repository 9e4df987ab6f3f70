#!/usr/bin/env node
import { runMeridianCli } from '../dist/cli/meridian.js';

await runMeridianCli(process.argv);
