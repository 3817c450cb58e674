/**
 * A stand-in for `mxtls scan --file LIST --json --no-save` while the scan command does not
 * take `--file` yet: it runs the bulk mode's own runner (src/cli/scan-bulk.ts) with the probe
 * options the scan command builds, so only the yargs layer is left out.
 *   node scan-driver.js LIST RESOLVER CA_FILE CONCURRENCY
 * Exit codes as the CLI's: 0 all verified, 1 findings, 2 usage or input, 130 interrupted.
 */
import { scanProbeOptions } from '../src/cli/commands/scan.js';
import type { CliIo } from '../src/cli/io.js';
import { runBulkScan } from '../src/cli/scan-bulk.js';

async function main(): Promise<void> {
  const [list, resolver, caFile, concurrencyText] = process.argv.slice(2) as string[];
  const concurrency = Number(concurrencyText);
  const controller = new AbortController();
  process.on('SIGINT', () => controller.abort());
  process.on('SIGTERM', () => controller.abort());
  const io: CliIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    signal: controller.signal,
  };
  const probe = await scanProbeOptions({ resolver, 'ca-file': caFile }, io);
  process.exitCode = await runBulkScan({
    file: list,
    probe,
    json: true,
    concurrency,
    // The fleet is one provider (fleet.test) to the host pool: its politeness limit is lifted
    // to the concurrency, as `--per-provider` would, so the comparison is at equal load.
    perProvider: concurrency,
    save: false,
  }, io);
}

main().catch((error: unknown) => {
  process.stderr.write(`scan-driver: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 2;
});
