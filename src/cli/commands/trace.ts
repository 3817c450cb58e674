/**
 * `mxtls trace <message.eml|->`: reads a message (or its headers) and says, hop by hop,
 * whether it travelled encrypted. Exit 0 when no hand-off between providers was unencrypted,
 * 1 when one was, 2 when the input cannot be read.
 */
import type { Argv } from 'yargs';
import { sanitize } from '../../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { writeLine, type CliIo } from '../io.js';
import type { CliCommand } from '../main.js';
import { readMessage } from '../read-message.js';
import { formatTrace } from '../format-trace.js';
import { parseMessage } from '../../trace/index.js';
import { parseInternalNetworks } from '../../trace/analyze-trace.js';

/** The trace command. */
export const traceCommand: CliCommand = {
  command: 'trace <message>',
  describe: 'Show whether a received message travelled encrypted on every hop',
  builder: (y: Argv) =>
    y
      .positional('message', {
        type: 'string',
        describe: 'A message file (.eml, whole message or headers only), or - for stdin',
      })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'Print the result as JSON (schema mxtls.trace/1)',
      })
      .option('internal-net', {
        // Not `array: true`: that would swallow the message path after the range. Repeating
        // the option still gives an array.
        type: 'string',
        describe:
          'A CIDR range counted as internal; repeatable; replaces the default list ' +
          '(default: loopback, RFC 1918, 100.64/10, link-local, fc00::/7)',
      }) as unknown as Argv,
  run: runTrace,
};

async function runTrace(argv: Record<string, unknown>, io: CliIo): Promise<ExitCode> {
  // yargs reads a lone `-` as an option without a name and hands the positional over empty.
  const source = argv.message === '' || argv.message === true ? '-' : String(argv.message);
  const given = argv['internal-net'] as string | string[] | undefined;
  const nets = given === undefined ? [] : ([] as string[]).concat(given).map(String);
  const internalNetworks = nets.length > 0 ? nets : undefined;
  // Checked here so that a bad CIDR is a usage error before any input is read.
  if (internalNetworks) parseInternalNetworks(internalNetworks);

  const input = await readMessage(source, io);
  const trace = parseMessage(input, { internalNetworks });

  if (argv.json === true) {
    writeLine(io.stdout, JSON.stringify(trace, null, 2));
  } else {
    for (const line of formatTrace(trace)) writeLine(io.stdout, line);
    for (const warning of trace.warnings) {
      writeLine(io.stderr, `mxtls: warning: ${sanitize(warning, 300)}`);
    }
  }
  // No Received field (junk, or only what the size bound cut off): nothing was checked, which
  // must not read as "everything is fine".
  if (trace.hops.length === 0) return EXIT.usage;
  return trace.summary.unencryptedHandoffs.length > 0 ? EXIT.findings : EXIT.ok;
}
