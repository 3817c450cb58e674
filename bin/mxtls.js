#!/usr/bin/env node
// The command-line entry: all logic lives in the library under dist/ (built from src/ by
// `npm ci`'s prepare step), so this file only hands over the arguments and the exit code.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
