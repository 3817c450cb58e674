/** Every command of the CLI, in the order `--help` lists them. */
import type { CliCommand } from '../main.js';
import { traceCommand } from './trace.js';
import { scanCommand } from './scan.js';

export const commands: CliCommand[] = [scanCommand, traceCommand];
import { diffCommand } from './diff.js';
import { watchCommand } from './watch.js';

commands.push(diffCommand, watchCommand);
import { compareCommand } from './compare.js';

commands.push(compareCommand);
