/**
 * `mxtls watch --file LIST --cron PATTERN`: scans the list on a schedule, writes each run and
 * its diff against the previous complete run under `--out`, and posts the diff to `--notify`
 * when something got worse. `--once` runs one scan now and exits, for cron or a systemd timer.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../../errors.js';
import { runScan } from '../../scan/run.js';
import { checkCronPattern, createWatcher, type Scheduler } from '../../scan/watch.js';
import { openDomainList } from '../../scan/domain-list.js';
import { probeHost } from '../../probe/host.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { writeLine, type CliIo } from '../io.js';
import type { CliCommand } from '../main.js';
import { bulkScanOptions, bulkScanSettings, DEFAULT_RESULTS_DIR } from '../scan-bulk.js';
import { domainProber, scanProbeOptions } from './scan.js';
import { checkFlags, probeFlags } from '../probe-flags.js';

/** The watch command; `scheduler` is replaced by tests. */
export function watchCommandWith(scheduler?: Scheduler): CliCommand {
  return {
    command: 'watch',
    describe: 'Scan a partner list on a schedule, keep every run and report what got worse',
    builder: (y: Argv) =>
      checkFlags(probeFlags(bulkScanOptions(y)))
        .option('cron', {
          type: 'string',
          describe: 'When to scan, as a cron pattern in local time, e.g. "0 2 * * *" ' +
            '(required unless --once)',
        })
        .option('once', {
          type: 'boolean',
          default: false,
          describe: 'Scan once now, write the run and its diff, and exit',
        })
        .option('notify', {
          type: 'string',
          describe: 'POST the diff as JSON to this URL when something got worse (default: none)',
        }) as unknown as Argv,
    run: (argv, io) => runWatch(argv, io, scheduler),
  };
}

/** The watch command with croner as its scheduler. */
export const watchCommand: CliCommand = watchCommandWith();

async function runWatch(
  argv: Record<string, unknown>,
  io: CliIo,
  scheduler: Scheduler | undefined,
): Promise<ExitCode> {
  const once = argv.once === true;
  const cron = argv.cron === undefined ? undefined : String(argv.cron);
  if (argv.file === undefined) throw new UsageError('Cannot watch: name the list with --file');
  if (argv.file === '' || argv.file === '-') {
    throw new UsageError('Cannot watch stdin: every scheduled run reads the list file again');
  }
  if (!once && cron === undefined) {
    throw new UsageError('Cannot watch: give a schedule with --cron, or run once with --once');
  }
  if (cron !== undefined) checkCronPattern(cron);
  if (argv.save === false) {
    throw new UsageError('Cannot watch with --no-save: every watched run is kept to diff the next');
  }
  if (argv.resume !== undefined) {
    throw new UsageError('Cannot watch with --resume: use mxtls scan --resume for a stopped run');
  }
  const notifyUrl = argv.notify === undefined ? undefined : checkUrl(String(argv.notify));
  const settings = bulkScanSettings(argv, await scanProbeOptions(argv, io));
  const dir = settings.out ?? DEFAULT_RESULTS_DIR;
  const file = settings.file as string;
  const log = (line: string): void => writeLine(io.stderr, `mxtls watch: ${stamp()} ${line}`);

  const watcher = createWatcher({
    dir,
    notifyUrl,
    expiryDays: settings.expiryDays,
    log,
    signal: io.signal,
    scan: async (signal) => {
      log(`scanning ${file}`);
      const outcome = await runScan({
        listFile: file,
        openList: () => openDomainList(file, io.stdin),
        probeDomain: domainProber(argv),
        probeHost,
        probe: settings.probe,
        concurrency: settings.concurrency,
        perAddress: settings.perAddress,
        perProvider: settings.perProvider,
        expiryDays: settings.expiryDays,
        outDir: dir,
        signal,
      });
      const s = outcome.summary;
      log(
        `scanned ${s.domains} domains: ${s.verdicts['verified-tls'] ?? 0} verified TLS; ` +
          `run file ${outcome.path ?? '(none)'}`,
      );
      return outcome;
    },
  });

  if (once) {
    const iteration = await watcher.runOnce();
    if (iteration.run?.interrupted) return EXIT.interrupted;
    if (iteration.error !== undefined) return EXIT.internal;
    return (iteration.diff?.counts.worse ?? 0) > 0 ? EXIT.findings : EXIT.ok;
  }

  const job = watcher.start(cron as string, scheduler);
  log(`watching ${file} on "${cron}"; next run ${job.nextRun()?.toISOString() ?? 'never'}`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  job.stop();
  await watcher.idle();
  log('stopped');
  return EXIT.interrupted;
}


function checkUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return url;
  } catch {
    // Reported below.
  }
  throw new UsageError(`Cannot notify "${url}": not an http or https URL`);
}

function stamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}
