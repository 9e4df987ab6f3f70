#!/usr/bin/env node
import { runPipetaskCli } from '../dist/cli/pipetask.js';

await runPipetaskCli(process.argv);
