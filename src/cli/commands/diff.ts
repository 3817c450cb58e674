/**
 * `mxtls diff OLD NEW`: compares two complete run files, per domain. Exit 1 when anything
 * got worse, 0 when not, 2 when a file cannot be read or is not a complete run.
 */
import type { Argv } from 'yargs';
import { diffRunFiles } from '../../scan/diff.js';
import { DEFAULT_EXPIRY_DAYS } from '../../scan/summary.js';
import { UsageError } from '../../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { formatDiff } from '../format-diff.js';
import { writeLine, type CliIo } from '../io.js';
import type { CliCommand } from '../main.js';

/** The diff command. */
export const diffCommand: CliCommand = {
  command: 'diff <old> <new>',
  describe: 'Show what got worse or better between two run files of mxtls scan --file',
  builder: (y: Argv) =>
    y
      .positional('old', { type: 'string', describe: 'The earlier run file (.jsonl)' })
      .positional('new', { type: 'string', describe: 'The later run file (.jsonl)' })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'Print the diff as JSON (schema mxtls.diff/1)',
      })
      .option('expiry-days', {
        type: 'number',
        default: DEFAULT_EXPIRY_DAYS,
        describe: 'A certificate expiring within this many days counts as expiring soon',
      }) as unknown as Argv,
  run: runDiff,
};

async function runDiff(argv: Record<string, unknown>, io: CliIo): Promise<ExitCode> {
  const expiryDays = Number(argv['expiry-days'] ?? DEFAULT_EXPIRY_DAYS);
  if (!Number.isInteger(expiryDays) || expiryDays < 0) {
    throw new UsageError('Cannot compare runs: --expiry-days must be a whole number of days');
  }
  const diff = await diffRunFiles(String(argv.old), String(argv.new), { expiryDays });
  if (argv.json === true) writeLine(io.stdout, JSON.stringify(diff, null, 2));
  else for (const line of formatDiff(diff)) writeLine(io.stdout, line);
  return diff.counts.worse > 0 ? EXIT.findings : EXIT.ok;
}
