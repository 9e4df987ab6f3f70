#!/usr/bin/env node
import { runButlerCli } from '../dist/cli/butler.js';

await runButlerCli(process.argv);
