/**
 * `mxtls compare <domain> <message.eml|->`: traces a message from the partner `domain`, probes
 * the receivers of the hand-offs that recorded no TLS (or looks them up in `--results`) and
 * the partner's own MX, and says per hop which side did not use TLS. Exit 0 when no hand-off
 * between providers was found unencrypted, 1 when one was, 2 for usage or input errors.
 */
import type { Argv } from 'yargs';
import { compareMessage } from '../../compare/compare-message.js';
import { liveProbeSource, savedProbeSource, type ProbeSource } from '../../compare/probe-source.js';
import { readSavedResults } from '../../compare/saved-results.js';
import { sanitize } from '../../errors.js';
import { parseInternalNetworks } from '../../trace/analyze-trace.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { formatCompare } from '../format-compare.js';
import { writeLine, type CliIo } from '../io.js';
import type { CliCommand } from '../main.js';
import { readMessage } from '../read-message.js';
import { probeFlags } from '../probe-flags.js';
import { scanDomains, scanProbeOptions } from './scan.js';


/** The compare command. */
export const compareCommand: CliCommand = {
  command: 'compare <domain> <message>',
  describe: 'Say which side did not use TLS on each hop of a message from a partner',
  builder: (y: Argv) =>
    probeFlags(y)
      .positional('domain', { type: 'string', describe: 'The partner domain the message is from' })
      .positional('message', {
        type: 'string',
        describe: 'A message file (.eml, whole message or headers only), or - for stdin',
      })
      .option('results', {
        type: 'string',
        describe: 'Use a saved scan (mxtls scan --json, or a run file under results/) instead ' +
          'of probing (default: probe now)',
      })
      .option('internal-net', {
        type: 'string',
        array: true,
        describe: 'A CIDR range counted as internal; repeatable; replaces the default list ' +
          '(default: loopback, RFC 1918, 100.64/10, link-local, fc00::/7)',
      })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'Print the result as JSON (schema mxtls.compare/1)',
      }) as unknown as Argv,
  run: runCompare,
};

async function runCompare(argv: Record<string, unknown>, io: CliIo): Promise<ExitCode> {
  const [domain] = scanDomains({ domains: [String(argv.domain ?? '')] });
  // yargs reads a lone `-` as an option without a name and hands the positional over empty.
  const source = argv.message === '' || argv.message === true ? '-' : String(argv.message);
  const nets = argv['internal-net'] as string[] | undefined;
  const internalNetworks = nets && nets.length > 0 ? nets.map(String) : undefined;
  // Checked before anything is read or probed, so that a bad CIDR is a usage error.
  if (internalNetworks) parseInternalNetworks(internalNetworks);

  const probes = await probeSource(argv, io);
  const input = await readMessage(source, io);
  const result = await compareMessage(domain as string, input, {
    source: probes,
    ...(internalNetworks ? { internalNetworks } : {}),
  });

  if (argv.json === true) {
    writeLine(io.stdout, JSON.stringify(result, null, 2));
  } else {
    for (const line of formatCompare(result)) writeLine(io.stdout, line);
    for (const warning of result.warnings) {
      writeLine(io.stderr, `mxtls: warning: ${sanitize(warning, 300)}`);
    }
  }
  // A message without Received fields has no hop to judge: nothing was checked.
  if (result.message.hops === 0) return EXIT.usage;
  return result.summary.unencryptedHops.length > 0 ? EXIT.findings : EXIT.ok;
}

/** A saved source for `--results`, else live probes built as the scan command builds them. */
async function probeSource(argv: Record<string, unknown>, io: CliIo): Promise<ProbeSource> {
  if (typeof argv.results === 'string') {
    return savedProbeSource(await readSavedResults(argv.results));
  }
  return liveProbeSource(await scanProbeOptions(argv, io));
}
