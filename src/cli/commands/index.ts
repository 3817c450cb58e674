/** Every command of the CLI, in the order `--help` lists them. */
import type { CliCommand } from '../main.js';
import { compareCommand } from './compare.js';
import { diffCommand } from './diff.js';
import { scanCommand } from './scan.js';
import { traceCommand } from './trace.js';
import { watchCommand } from './watch.js';

export const commands: CliCommand[] = [
  scanCommand,
  traceCommand,
  compareCommand,
  diffCommand,
  watchCommand,
];
