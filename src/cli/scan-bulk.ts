/**
 * The bulk mode of `mxtls scan`: `--file LIST` reads a partner list, scans it with shared
 * probes and politeness limits, streams one row (or one JSON line) per domain to stdout as it
 * finishes, writes a run file under `--out`, shows progress on stderr when stderr is a
 * terminal, and stops cleanly on Ctrl-C, keeping what was done for `--resume`.
 */
import type { Argv } from 'yargs';
import { InputError, sanitize, UsageError } from '../errors.js';
import { probeDomain as libraryProbeDomain } from '../probe/domain.js';
import { probeHost as libraryProbeHost } from '../probe/host.js';
import type { DomainProbeOptions } from '../probe/options.js';
import type { DomainResult } from '../probe/types.js';
import { DEFAULT_CONCURRENCY } from '../scan/bulk.js';
import { openDomainList, readDomainList, type ListIssue } from '../scan/domain-list.js';
import { DEFAULT_PER_ADDRESS, DEFAULT_PER_PROVIDER, type ProbeHostFn } from '../scan/host-pool.js';
import { newestPartialRun } from '../scan/results-store.js';
import { checkRunOptions, runScan, type ProbeDomainWithOptions } from '../scan/run.js';
import { DEFAULT_EXPIRY_DAYS, formatSummary, type RunSummary } from '../scan/summary.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { formatScanRows, SCAN_COLUMNS } from './format-scan.js';
import { writeLine, type CliIo } from './io.js';
import { access, constants, stat } from 'node:fs/promises';

/** Where run files go when `--out` is not given. */
export const DEFAULT_RESULTS_DIR = 'results';

/** What `mxtls scan --file` needs besides the probe options of the scan command. */
export interface BulkScanSettings {
  /** The partner list, or `-` for stdin; may be left out with `resume` (the run's own list). */
  file?: string;
  /** Resolver, timeouts, CA, port: built by the scan command from its own flags. */
  probe: DomainProbeOptions;
  /** JSON Lines on stdout instead of table rows. Default false. */
  json?: boolean;
  /** Default 32. */
  concurrency?: number;
  /** Default 1. */
  perAddress?: number;
  /** Default 8. */
  perProvider?: number;
  /** Results directory. Default `results`. */
  out?: string;
  /** Continue an interrupted run: its `.partial` path, or `''` for the newest in `out`. */
  resume?: string;
  /** Default 14. */
  expiryDays?: number;
  /** Write a run file. Default true (`--no-save` turns it off). */
  save?: boolean;
}

/** The probes a bulk scan runs; tests put in their own. */
export interface BulkScanDeps {
  probeDomain?: ProbeDomainWithOptions;
  probeHost?: ProbeHostFn;
  /** Clock of the progress display. Default performance.now. */
  now?: () => number;
}

/**
 * Adds the bulk flags to a yargs builder (`--file`, `--concurrency`, `--per-address`,
 * `--per-provider`, `--out`, `--resume`, `--expiry-days`, `--no-save`).
 */
export function bulkScanOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('file', {
      type: 'string',
      describe: 'Scan the domains listed in this file (one a line, # comments, or CSV with a ' +
        'domain column); --file=- reads stdin',
    })
    .option('concurrency', {
      type: 'number',
      default: DEFAULT_CONCURRENCY,
      describe: `Domains probed at the same time`,
    })
    .option('per-address', {
      type: 'number',
      default: DEFAULT_PER_ADDRESS,
      describe: `Connections at once to one MX address`,
    })
    .option('per-provider', {
      type: 'number',
      default: DEFAULT_PER_PROVIDER,
      describe: 'Connections at once to one provider, the registrable domain of the MX',
    })
    .option('out', {
      type: 'string',
      default: DEFAULT_RESULTS_DIR,
      describe: `Directory of run files`,
    })
    .option('resume', {
      type: 'string',
      describe: 'Continue an interrupted run: a .partial file, or the newest one in --out ' +
        'when no file is named (default: start a new run)',
    })
    .option('expiry-days', {
      type: 'number',
      default: DEFAULT_EXPIRY_DAYS,
      describe: 'Count certificates expiring within this many days',
    })
    .option('save', {
      type: 'boolean',
      default: true,
      describe: 'Write a run file; --no-save only prints',
    }) as unknown as Argv<T>;
}

/** Reads the bulk flags out of parsed arguments. */
export function bulkScanSettings(argv: Record<string, unknown>, probe: DomainProbeOptions):
BulkScanSettings {
  const number = (name: string): number | undefined =>
    argv[name] === undefined ? undefined : Number(argv[name]);
  return {
    // yargs reads `--file -` as an empty value.
    file: argv.file === undefined ? undefined : argv.file === '' ? '-' : String(argv.file),
    probe,
    json: argv.json === true,
    concurrency: number('concurrency'),
    perAddress: number('per-address'),
    perProvider: number('per-provider'),
    out: argv.out === undefined ? undefined : String(argv.out),
    resume: argv.resume === undefined ? undefined : String(argv.resume),
    expiryDays: number('expiry-days'),
    save: argv.save !== false,
  };
}

/** Issues printed one by one before the rest are only counted. */
const MAX_ISSUE_LINES = 20;

/**
 * Runs a bulk scan: exit 0 when every domain has verified TLS or takes no mail, 1 when not,
 * 130 when interrupted (the partial run file is kept). Bad flags and unreadable lists throw
 * UsageError or InputError, which the CLI turns into exit 2.
 */
export async function runBulkScan(
  settings: BulkScanSettings,
  io: CliIo,
  deps: BulkScanDeps = {},
): Promise<ExitCode> {
  checkRunOptions({
    concurrency: settings.concurrency,
    perAddress: settings.perAddress,
    perProvider: settings.perProvider,
    expiryDays: settings.expiryDays,
  });
  const outDir = settings.out ?? DEFAULT_RESULTS_DIR;
  const save = settings.save !== false;
  const resume = await resumePath(settings, outDir);
  if (!save && resume !== undefined) {
    throw new UsageError('Cannot resume with --no-save: a resumed run appends to its file');
  }
  if (settings.file === undefined && resume === undefined) {
    throw new UsageError('Cannot scan a list: name it with --file (or - for stdin)');
  }

  const listFile = settings.file;
  const progress = new Progress(io.stderr, deps.now ?? (() => performance.now()));
  const issues = issueReporter(io, () => progress.clear());

  // Checked before the run starts, so that a mistyped path makes no run file.
  if (listFile !== undefined && listFile !== '-') await checkReadable(listFile);
  const outcome = await runScan({
    listFile: listFile ?? '-',
    openList: (header) => {
      const file = listFile ?? header?.input.file;
      if (file === undefined || (file === '-' && listFile === undefined)) {
        throw new UsageError(
          'Cannot resume a run that read stdin: give the list again with --file -',
        );
      }
      if (progress.active && file !== '-') void countDomains(file, io, progress);
      return openDomainList(file, io.stdin);
    },
    probeDomain: deps.probeDomain ?? libraryProbeDomain,
    probeHost: deps.probeHost ?? libraryProbeHost,
    probe: settings.probe,
    concurrency: settings.concurrency,
    perAddress: settings.perAddress,
    perProvider: settings.perProvider,
    expiryDays: settings.expiryDays,
    outDir: save && resume === undefined ? outDir : undefined,
    resume,
    signal: io.signal,
    onIssue: issues.report,
    onStart: ({ path, resumedDone }) => {
      // Only once the run file exists, so that a failure to start prints no table at all.
      if (!settings.json) writeLine(io.stdout, formatBulkHeader());
      progress.start(resumedDone);
      if (path && resumedDone > 0) {
        progress.clear();
        writeLine(io.stderr, `mxtls: resuming ${path}: ${resumedDone} domains already done`);
      }
    },
    onResult: async (result) => {
      progress.add(result);
      const text = settings.json ? JSON.stringify(result) : formatBulkRows(result).join('\n');
      progress.clear();
      if (!io.stdout.write(`${text}\n`)) {
        await new Promise<void>((resolve) => io.stdout.once('drain', resolve));
      }
    },
  }).finally(() => progress.stop());

  issues.finish();
  for (const line of formatSummary(outcome.summary)) writeLine(io.stderr, `mxtls: ${line}`);
  const pool = outcome.pool;
  writeLine(io.stderr,
    `mxtls: ${pool.probes} probes, ${pool.shared} answers shared between domains`);
  if (outcome.interrupted) {
    const where = outcome.path
      ? `; continue with: mxtls scan --resume ${outcome.path}`
      : ' (not saved)';
    writeLine(io.stderr, `mxtls: interrupted after ${outcome.scanned} domains${where}`);
    return EXIT.interrupted;
  }
  if (outcome.path) writeLine(io.stderr, `mxtls: results in ${outcome.path}`);
  return allVerified(outcome.summary) ? EXIT.ok : EXIT.findings;
}

async function checkReadable(file: string): Promise<void> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw Object.assign(new Error('a directory'), { code: 'EISDIR' });
    await access(file, constants.R_OK);
  } catch (error) {
    const code = (error as { code?: string }).code ?? String(error);
    throw new InputError(`Cannot read the domain list "${file}": ${code}`, error);
  }
}

async function resumePath(settings: BulkScanSettings, outDir: string): Promise<string | undefined> {
  if (settings.resume === undefined) return undefined;
  if (settings.resume !== '') return settings.resume;
  const partial = await newestPartialRun(outDir);
  if (!partial) throw new UsageError(`Cannot resume: no interrupted run in "${outDir}"`);
  return partial.path;
}

// The same rule as `mxtls scan`: a domain is fine with verified TLS, or when it takes no mail.
function allVerified(summary: RunSummary): boolean {
  const fine = (summary.verdicts['verified-tls'] ?? 0) + (summary.verdicts['no-mail'] ?? 0);
  return fine === summary.domains;
}

/**
 * Column widths of the streamed table. Rows go out as domains finish, so widths cannot be
 * measured first; a longer cell pushes the rest of its row to the right.
 */
const COLUMN_WIDTHS = [30, 4, 30, 15, 10, 9, 24, 13, 6, 12, 14];

function padRow(cells: readonly string[]): string {
  return cells.map((cell, i) => cell.padEnd(COLUMN_WIDTHS[i] ?? 0)).join('  ').trimEnd();
}

/** The table header of the streamed rows, with the columns of `mxtls scan`. */
export function formatBulkHeader(): string {
  return padRow(SCAN_COLUMNS);
}

/** One domain's rows of the streamed table: the rows of `mxtls scan`, fixed widths. */
export function formatBulkRows(result: DomainResult): string[] {
  return formatScanRows(result).map(padRow);
}

function issueReporter(io: CliIo, beforeWrite: () => void) {
  let count = 0;
  return {
    report(issue: ListIssue): void {
      count += 1;
      if (count > MAX_ISSUE_LINES) return;
      beforeWrite();
      const what = issue.reason === 'duplicate'
        ? `duplicate "${sanitize(issue.input, 100)}" (first on line ${issue.firstLine})`
        : `invalid domain "${sanitize(issue.input, 100)}"`;
      writeLine(io.stderr, `mxtls: list line ${issue.line}: skipped ${what}`);
    },
    finish(): void {
      if (count > MAX_ISSUE_LINES) {
        writeLine(io.stderr, `mxtls: ${count - MAX_ISSUE_LINES} more list lines skipped`);
      }
    },
  };
}

// Counts the list in a second pass for the progress display's total and time left; only
// when the display is on and the list is a file.
// TODO: a list read from stdin can be read once only, so its progress has no total or ETA.
async function countDomains(file: string, io: CliIo, progress: Progress): Promise<void> {
  let total = 0;
  try {
    for await (const _ of readDomainList(openDomainList(file, io.stdin))) total += 1;
    progress.setTotal(total);
  } catch {
    // The scan itself reports an unreadable list.
  }
}

/** How often the progress line is redrawn at most, in ms. */
const REDRAW_MS = 250;

/** The progress line on a terminal's stderr; does nothing when stderr is not a terminal. */
class Progress {
  readonly active: boolean;
  readonly #stream: CliIo['stderr'];
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #done = 0;
  #before = 0;
  #notVerified = 0;
  #errors = 0;
  #total: number | undefined;
  #drawn = false;

  constructor(stream: CliIo['stderr'], now: () => number) {
    this.#stream = stream;
    this.#now = now;
    this.active = stream.isTTY === true;
  }

  start(alreadyDone: number): void {
    this.#before = alreadyDone;
    this.#startedAt = this.#now();
    if (!this.active) return;
    this.#timer = setInterval(() => this.#draw(), REDRAW_MS);
    this.#timer.unref();
  }

  setTotal(total: number): void {
    this.#total = total;
  }

  add(result: DomainResult): void {
    this.#done += 1;
    if (result.verdict !== 'verified-tls') this.#notVerified += 1;
    if (result.verdict === 'error') this.#errors += 1;
  }

  /** Removes the line, so that other stderr output starts on a clean line. */
  clear(): void {
    if (!this.#drawn) return;
    this.#stream.write('\r\x1b[K');
    this.#drawn = false;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.clear();
  }

  #draw(): void {
    const seconds = Math.max(0.001, (this.#now() - this.#startedAt) / 1000);
    const rate = this.#done / seconds;
    const done = this.#done + this.#before;
    const total = this.#total;
    let text = `${done}${total === undefined ? '' : `/${total}`} domains`;
    text += `, ${this.#notVerified} without verified TLS, ${this.#errors} errors`;
    text += `, ${rate.toFixed(1)}/s`;
    if (total !== undefined && rate > 0) {
      text += `, ${formatDuration(Math.max(0, total - done) / rate)} left`;
    }
    const width = (this.#stream.columns ?? 100) - 1;
    this.#stream.write(`\r\x1b[K${text.slice(0, width)}`);
    this.#drawn = true;
  }
}

/** `75` → `1m15s`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
