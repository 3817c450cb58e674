/** Every command of the CLI, in the order `--help` lists them. */
import type { CliCommand } from '../main.js';
import { traceCommand } from './trace.js';

export const commands: CliCommand[] = [traceCommand];
