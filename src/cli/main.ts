/**
 * The command-line interface: a thin yargs layer over the library. Each command lives in its
 * own module under src/cli/commands/ and returns its exit code; only this file turns errors
 * into exit codes.
 */
import yargs, { type Argv } from 'yargs';
import { MxtlsError, UsageError, InputError } from '../errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { writeLine } from './io.js';
import { commands } from './commands/index.js';

/** What one command module provides: yargs builder plus a handler that returns the exit code. */
export interface CliCommand {
  command: string;
  describe: string;
  builder: (y: Argv) => Argv;
  run: (argv: Record<string, unknown>, io: CliIo) => Promise<ExitCode>;
}

const EPILOGUE = [
  'Exit codes:',
  `  ${EXIT.ok}    everything checked is fine (all MX offer verified TLS; no regression)`,
  `  ${EXIT.findings}    a finding: an MX without verified TLS, an unencrypted hop, a regression`,
  `  ${EXIT.usage}    usage or input error: nothing was checked`,
  `  ${EXIT.internal}    internal error`,
  `  ${EXIT.interrupted}  interrupted; partial results were kept`,
].join('\n');

/** Runs mxtls with `args` and returns the exit code; never calls process.exit. */
export async function main(args: string[], io: CliIo = processIo()): Promise<number> {
  let exitCode: number = EXIT.ok;
  let failure: unknown;
  const parser = yargs(args)
    .scriptName('mxtls')
    .usage('$0 <command> [options]\n\nChecks whether mail to and from a domain travels over TLS.')
    .epilogue(EPILOGUE)
    .strict()
    .demandCommand(1, 'Name a command: see mxtls --help')
    .recommendCommands()
    .wrap(Math.min(100, io.stdout.columns ?? 100))
    .exitProcess(false)
    .check(rejectRepeatedFlags, true)
    .fail((message, error) => {
      // Throwing stops yargs here; a fail handler that returns lets the command run anyway.
      throw error ?? new UsageError(message ?? 'Cannot parse the command line');
    });

  for (const spec of commands) {
    parser.command({
      command: spec.command,
      describe: spec.describe,
      builder: spec.builder,
      handler: async (argv) => {
        exitCode = await spec.run(argv as Record<string, unknown>, io);
      },
    });
  }

  try {
    await parser.parseAsync();
  } catch (error) {
    failure ??= error;
  }
  if (failure !== undefined) return reportFailure(failure, io);
  return exitCode;
}

/** Flags that may be given more than once; every other one may appear once. */
const REPEATABLE = new Set(['_', '$0', 'domains', 'internal-net', 'internalNet']);

/**
 * yargs turns a flag given twice into an array. Read as "not a string", a second --resolver
 * or --ca-file would silently fall back to the system's, so a repeat is a usage error.
 */
function rejectRepeatedFlags(argv: Record<string, unknown>): true {
  for (const [name, value] of Object.entries(argv)) {
    if (Array.isArray(value) && !REPEATABLE.has(name) && !/[A-Z]/.test(name)) {
      throw new UsageError(`Cannot use --${name} more than once`);
    }
  }
  return true;
}

function reportFailure(error: unknown, io: CliIo): number {
  if (error instanceof UsageError || error instanceof InputError) {
    writeLine(io.stderr, `mxtls: ${error.message}`);
    return EXIT.usage;
  }
  if (error instanceof MxtlsError) {
    writeLine(io.stderr, `mxtls: ${error.message} (${error.code})`);
    return EXIT.internal;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  writeLine(io.stderr, `mxtls: internal error: ${message}`);
  return EXIT.internal;
}

function processIo(): CliIo {
  const controller = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts += 1;
    // A second Ctrl-C means "now": give up on a clean stop.
    if (interrupts > 1) process.exit(EXIT.interrupted);
    controller.abort();
  });
  process.on('SIGTERM', () => controller.abort());
  // A reader that went away (`mxtls scan --file ... | head`) is a stop, like Ctrl-C: a bulk
  // run keeps what it did. Without a listener the EPIPE would kill the process mid-write.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      controller.abort();
    });
  }
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    signal: controller.signal,
  };
}
