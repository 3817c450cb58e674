/**
 * The probe flags that `scan`, `compare` and `watch` share, defined once so that their help
 * texts and defaults cannot drift apart. `scanProbeOptions` in ./commands/scan.ts reads them.
 * yargs prints `[default: …]` for a flag with a default; a flag without one states in its
 * text what happens when it is left out.
 */
import type { Argv } from 'yargs';
import { DEFAULT_TIMEOUTS } from '../probe/options.js';

/** Adds --resolver, --port, --helo, --ca-file and the four --timeout-* flags. */
export function probeFlags<T>(y: Argv<T>): Argv<T> {
  return y
    .option('resolver', {
      type: 'string',
      describe: 'DNS server as IP, IP:PORT or [IPv6]:PORT (default: the first nameserver of ' +
        '/etc/resolv.conf)',
    })
    .option('port', { type: 'number', default: 25, describe: 'SMTP port of the MX hosts' })
    .option('helo', {
      type: 'string',
      describe: 'EHLO name (default: this host name if it is a valid FQDN, else an address ' +
        'literal such as [192.0.2.10])',
    })
    .option('ca-file', {
      type: 'string',
      describe: 'PEM file of CA certificates to trust instead of the system roots (default: ' +
        'the system roots)',
    })
    .option('timeout-connect', {
      type: 'number',
      default: DEFAULT_TIMEOUTS.connect,
      describe: 'TCP connect timeout, ms',
    })
    .option('timeout-greeting', {
      type: 'number',
      default: DEFAULT_TIMEOUTS.greeting,
      describe: 'Time for the whole greeting, ms (RFC 5321 allows servers 5 minutes)',
    })
    .option('timeout-command', {
      type: 'number',
      default: DEFAULT_TIMEOUTS.command,
      describe: 'Time for each command reply (EHLO, STARTTLS, QUIT), ms',
    })
    .option('timeout-handshake', {
      type: 'number',
      default: DEFAULT_TIMEOUTS.handshake,
      describe: 'TLS handshake timeout, ms',
    }) as unknown as Argv<T>;
}

/**
 * Adds --ipv6, --policies and --versions: what a scan checks besides STARTTLS, shared by
 * `scan` and `watch` (`domainProber` in ./commands/scan.ts reads them).
 */
export function checkFlags<T>(y: Argv<T>): Argv<T> {
  return y
    .option('ipv6', {
      type: 'boolean',
      default: true,
      describe: 'Probe IPv6 addresses too; --no-ipv6 skips them',
    })
    .option('policies', {
      type: 'boolean',
      default: true,
      describe: 'Check MTA-STS, TLS-RPT, DANE and REQUIRETLS; --no-policies skips them',
    })
    .option('versions', {
      type: 'boolean',
      default: false,
      describe: 'Try TLS 1.0, 1.1, 1.2 and 1.3 one by one on every MX address (4 more ' +
        'sessions per address)',
    }) as unknown as Argv<T>;
}
