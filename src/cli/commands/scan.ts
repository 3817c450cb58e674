/**
 * `mxtls scan <domain...>`: probes every MX address of each domain for STARTTLS and prints a
 * table (or JSON Lines with `--json`). Exit 0 when every domain is `verified-tls` or
 * `no-mail`, 1 otherwise, 2 for usage or input errors.
 */
import { readFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import { toDomainName } from '../../dns/domain-name.js';
import { createResolver } from '../../dns/resolver.js';
import type { Resolver } from '../../dns/types.js';
import { InputError, MxtlsError, sanitize, UsageError } from '../../errors.js';
import { probeDomain } from '../../probe/domain.js';
import { checkPolicies } from '../../policy/index.js';
import { DEFAULT_TIMEOUTS, type DomainProbeOptions } from '../../probe/options.js';
import type { DomainResult } from '../../probe/types.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { formatScanRows, formatScanTable } from '../format-scan.js';
import { writeLine, type CliIo } from '../io.js';
import type { CliCommand } from '../main.js';
import { checkFlags, probeFlags } from '../probe-flags.js';
import { bulkScanOptions, bulkScanSettings, runBulkScan } from '../scan-bulk.js';

/** The verdicts that count as "fine" for the exit code. */
const GOOD_VERDICTS = new Set(['verified-tls', 'no-mail']);

/** The scan command. */
export const scanCommand: CliCommand = {
  command: 'scan [domains..]',
  describe: 'Probe the MX hosts of domains for STARTTLS and certificate quality',
  builder: (y: Argv) =>
    checkFlags(probeFlags(bulkScanOptions(y)))
      .positional('domains', {
        type: 'string',
        array: true,
        describe: 'Domains whose MX hosts to probe',
      })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'One JSON result per domain and line, schema mxtls.scan/1',
      })
      .option('transcript', {
        type: 'boolean',
        default: false,
        describe: 'Write the SMTP dialog (C:/S: lines) to stderr',
      })
      .option('verbose', {
        type: 'boolean',
        default: false,
        describe: 'Explain every verdict and address on stderr',
      })
      // The bulk flags: with --file (or --resume) the list goes to the bulk scanner, which
      // probes many domains at once and keeps a run file under results/.
      .check((argv) => {
        const named = Array.isArray(argv.domains) && argv.domains.length > 0;
        if (named && (argv.file !== undefined || argv.resume !== undefined)) {
          throw new UsageError('Cannot scan: name domains or give --file, not both');
        }
        return true;
      }) as unknown as Argv,

  run: runScan,
};

/**
 * The domains named on the command line, checked and in A-label form. Throws UsageError for
 * a name that cannot be a domain.
 */
export function scanDomains(argv: Record<string, unknown>): string[] {
  const raw = argv.domains;
  const list = Array.isArray(raw) ? raw.map(String) : raw === undefined ? [] : [String(raw)];
  return list.map((name) => {
    try {
      return toDomainName(name);
    } catch (error) {
      // On the command line a bad name is a usage error, like any bad argument.
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
  });
}

/**
 * Turns the command-line options into probe options: the resolver, the CA file's contents,
 * timeouts, port, EHLO name. Throws UsageError for bad values and InputError for an
 * unreadable CA file. Shared with the bulk mode, which adds its own `probeHost`.
 */
export async function scanProbeOptions(
  argv: Record<string, unknown>,
  io: CliIo,
): Promise<DomainProbeOptions> {
  const port = wholeNumber(argv.port, 'port', 25);
  if (port < 1 || port > 65535) throw new UsageError(`Cannot use port "${port}": not 1-65535`);
  const timeouts = {
    connect: wholeNumber(argv['timeout-connect'], 'timeout-connect', DEFAULT_TIMEOUTS.connect),
    greeting: wholeNumber(argv['timeout-greeting'], 'timeout-greeting',
      DEFAULT_TIMEOUTS.greeting),
    command: wholeNumber(argv['timeout-command'], 'timeout-command', DEFAULT_TIMEOUTS.command),
    handshake: wholeNumber(argv['timeout-handshake'], 'timeout-handshake',
      DEFAULT_TIMEOUTS.handshake),
  };
  for (const [name, value] of Object.entries(timeouts)) {
    if (value < 1) throw new UsageError(`Cannot use --timeout-${name} "${value}": below 1 ms`);
  }
  const helo = optionalString(argv, 'helo');
  if (helo !== undefined && !/^[\x21-\x7e]+$/.test(helo)) {
    throw new UsageError(`Cannot use --helo "${helo}": not a single printable word`);
  }
  const caFile = optionalString(argv, 'ca-file');
  const ca = caFile === undefined ? undefined : await readCaFile(caFile);
  const resolver = makeResolver(optionalString(argv, 'resolver'));
  return {
    resolver,
    port,
    timeouts,
    ipv6: argv.ipv6 !== false,
    transcript: argv.transcript === true,
    signal: io.signal,
    ...(helo === undefined ? {} : { helo }),
    ...(ca === undefined ? {} : { ca }),
  };
}

/** Writes one domain's result: a JSON line, or its table rows; diagnostics on stderr. */
export function reportDomain(
  result: DomainResult,
  argv: Record<string, unknown>,
  io: CliIo,
): void {
  if (argv.transcript === true) {
    for (const exchange of result.exchanges) {
      for (const host of exchange.hosts) {
        for (const line of host.transcript ?? []) {
          writeLine(io.stderr, `${sanitize(host.host, 300)}[${host.address}] ${line}`);
        }
      }
    }
  }
  if (argv.verbose === true || !GOOD_VERDICTS.has(result.verdict)) {
    // Host names come from DNS and details quote servers: both are sanitised for the terminal.
    writeLine(io.stderr,
      `mxtls: ${sanitize(result.domain, 300)}: ${result.verdict}: ${sanitize(result.detail)}`);
  }
  if (argv.verbose === true) {
    for (const exchange of result.exchanges) {
      for (const host of exchange.hosts) {
        writeLine(io.stderr, `mxtls: ${sanitize(host.host, 300)}[${host.address}]:${host.port}: ` +
          `${host.outcome}: ${sanitize(host.detail)} (${Math.round(host.timings.total)} ms)`);
      }
    }
  }
}

async function runScan(argv: Record<string, unknown>, io: CliIo): Promise<ExitCode> {
  if (argv.file !== undefined || argv.resume !== undefined) {
    return runBulkScan(bulkScanSettings(argv, await scanProbeOptions(argv, io)), io,
      { probeDomain: domainProber(argv) });
  }
  const domains = scanDomains(argv);
  if (domains.length === 0) {
    throw new UsageError('Cannot scan: name at least one domain (or --file)');
  }
  const options = await scanProbeOptions(argv, io);
  const probe = domainProber(argv);
  const results: DomainResult[] = [];
  // TODO: domains are probed one after the other; a long list belongs to the bulk mode,
  // which probes many at once.
  for (const domain of domains) {
    if (io.signal.aborted) break;
    const result = await probe(domain, options);
    results.push(result);
    if (argv.json === true) writeLine(io.stdout, JSON.stringify(result));
    reportDomain(result, argv, io);
  }
  if (argv.json !== true) {
    for (const line of formatScanTable(results.flatMap(formatScanRows))) {
      writeLine(io.stdout, line);
    }
  }
  if (io.signal.aborted) return EXIT.interrupted;
  return results.every(isFine) ? EXIT.ok : EXIT.findings;
}

/**
 * Fine for the exit code: verified TLS (or no mail at all), and no policy that a compliant
 * sender would have to refuse (an enforced MTA-STS policy or DANE records that do not hold).
 */
export function isFine(result: DomainResult): boolean {
  if (!GOOD_VERDICTS.has(result.verdict)) return false;
  const policy = result.policy;
  return !policy || (policy.mtaSts.severity !== 'error' && policy.dane.severity !== 'error');
}

/**
 * probeDomain, then the domain's policies (unless `--no-policies`) judged against the
 * certificates just seen; `--versions` adds the per-version handshakes.
 */
export function domainProber(
  argv: Record<string, unknown>,
): (domain: string, options: DomainProbeOptions) => Promise<DomainResult> {
  const policies = argv.policies !== false;
  const versions = argv.versions === true;
  return async (domain, options) => {
    // The policy records do not depend on the probe: ask for them while it runs, so that
    // the policy check after it finds their answers waiting.
    const resolver = policies ? sharingResolver(options.resolver) : options.resolver;
    if (policies) {
      void Promise.allSettled(POLICY_RECORDS.map((prefix) =>
        resolver.query(`${prefix}.${domain}`, 'TXT')));
    }
    const result = await probeDomain(domain, options);
    // A domain that does not exist or takes no mail has no policy worth a lookup.
    if (!policies || result.verdict === 'not-found' || result.verdict === 'no-mail') {
      return withoutCertificateBytes(result);
    }
    const policy = await checkPolicies(domain, {
      resolver,
      probe: result,
      versions: versions
        ? { ...(options.helo ? { helo: options.helo } : {}), timeouts: options.timeouts }
        : false,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { ...withoutCertificateBytes(result), policy };
  };
}

/** The TXT records of MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) under a domain. */
const POLICY_RECORDS = ['_mta-sts', '_smtp._tls'] as const;

/**
 * A resolver for one domain's checks that asks each question once and hands every later
 * asker the same answer (or the same failure), so a lookup started early is not repeated.
 */
function sharingResolver(resolver: Resolver): Resolver {
  const answers = new Map<string, ReturnType<Resolver['query']>>();
  return {
    server: resolver.server,
    query(name, type) {
      const key = `${type} ${name.toLowerCase()}`;
      let answer = answers.get(key);
      if (answer === undefined) {
        answer = resolver.query(name, type);
        answers.set(key, answer);
      }
      return answer;
    },
  };
}

/**
 * The result without each certificate's DER and SPKI bytes, which only DANE matching needs
 * and which would double the size of every output line and run file; the SHA-256
 * fingerprint still names each certificate. Copies, because bulk scans share host results
 * between domains.
 */
function withoutCertificateBytes(result: DomainResult): DomainResult {
  return {
    ...result,
    exchanges: result.exchanges.map((exchange) => ({
      ...exchange,
      hosts: exchange.hosts.map((host) => {
        if (!host.tls) return host;
        const chain = host.tls.chain.map(({ der: _der, spki: _spki, ...summary }) => summary);
        return { ...host, tls: { ...host.tls, chain } };
      }),
    })),
  };
}

/** The resolver; no usable resolv.conf is an input problem (exit 2), not an internal one. */
/**
 * DNS answers a scan keeps (TTL-bound): a list of partners shares MX hosts, whose addresses
 * would otherwise be asked again for every domain.
 */
const RESOLVER_CACHE_SIZE = 10_000;

function makeResolver(server: string | undefined): Resolver {
  try {
    return createResolver({
      ...(server === undefined ? {} : { server }),
      cacheSize: RESOLVER_CACHE_SIZE,
    });
  } catch (error) {
    if (error instanceof MxtlsError && error.code === 'MXTLS_INPUT') {
      throw new InputError(`${error.message}; name one with --resolver`, error);
    }
    throw error;
  }
}

/**
 * A string flag, or undefined when it was not given. Anything else is a usage error: a value
 * that is not a string must never read as "not given", which for --resolver would mean the
 * system's resolver.
 */
export function optionalString(argv: Record<string, unknown>, name: string): string | undefined {
  const value = argv[name];
  if (value === undefined || typeof value === 'string') return value;
  throw new UsageError(`Cannot use --${name} "${String(value)}": give it once, as one value`);
}

function wholeNumber(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(number)) {
    // yargs has already turned a non-number into NaN, so the text typed is gone.
    const shown = Number.isNaN(number) ? '' : ` "${String(value)}"`;
    throw new UsageError(`Cannot use --${name}${shown}: not a whole number`);
  }
  return number;
}

async function readCaFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new InputError(`Cannot read CA file "${path}": ${reason}`, error);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new InputError(`Cannot use CA file "${path}": no PEM certificate in it`);
  }
  return text;
}
