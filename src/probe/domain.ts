/**
 * The probe of a domain: its mail hosts from DNS, then every address of every exchange, then
 * the verdict. Exchanges are probed side by side; the addresses of one exchange one after the
 * other, so that no MX sees more than one connection from a domain probe at a time.
 */
import { isIP } from 'node:net';
import { errorInfo } from '../errors.js';
import { resolveMailHosts } from '../dns/mx.js';
import type { HostAddress, PlannedExchange, Resolver } from '../dns/types.js';
import { normalizeHostName } from '../tls/name-match.js';
import { probeHost } from './host.js';
import type { DomainProbeOptions, HostProbeOptions } from './options.js';
import { SCAN_SCHEMA, type DomainResult, type ExchangeResult } from './types.js';
import { judgeDomain } from './verdict.js';
import { toDomainName } from '../dns/domain-name.js';

const SMTP_PORT = 25;

/**
 * Probes every MX address of `domain` and judges the domain. Never rejects for anything DNS
 * or a server does: lookup failures and refusals are in the result. Rejects with InputError
 * for a `domain` that is not a domain name (nothing is asked of DNS then).
 */
export async function probeDomain(
  domain: string,
  options: DomainProbeOptions,
): Promise<DomainResult> {
  const now = options.now ?? Date.now;
  const checkedAt = new Date(now()).toISOString();
  const started = performance.now();
  const plan = await resolveMailHosts(toDomainName(domain), options.resolver);
  const exchanges = await Promise.all(
    plan.exchanges.map((exchange) => probeExchange(exchange, options)),
  );
  let { verdict, detail } = judgeDomain(plan.outcome, exchanges, plan.error);
  const flags = [...plan.flags];
  const skippedV6 = options.ipv6 === false &&
    plan.exchanges.some((e) => e.addresses.some((a) => a.family === 6));
  if (skippedV6) flags.push('ipv6-skipped');
  // The hosts do have addresses: only IPv6 ones, which the caller chose not to probe.
  if (skippedV6 && exchanges.every((e) => e.hosts.length === 0)) {
    verdict = 'error';
    detail = 'Every MX address is IPv6, and IPv6 was not probed (--no-ipv6): nothing checked.';
  }
  return {
    schema: SCAN_SCHEMA,
    domain: plan.domain,
    checkedAt,
    verdict,
    detail,
    dns: {
      outcome: plan.outcome,
      resolver: options.resolver.server,
      ...(plan.error ? { error: plan.error } : {}),
    },
    flags,
    exchanges,
    durationMs: performance.now() - started,
  };
}

/**
 * Probes a host given by name, outside any MX set (e.g. "does this relay do TLS?"): its A
 * and AAAA records from `options.resolver`, then each address. An IP address (bare or in
 * brackets) is probed as it is. The result has preference 0.
 */
export async function probeHostByName(
  host: string,
  options: DomainProbeOptions,
): Promise<ExchangeResult> {
  const name = normalizeHostName(host).replace(/^\[|\]$/g, '');
  const family = isIP(name);
  // An address needs no lookup; its certificate is then checked against IP SANs.
  const planned: PlannedExchange = family === 4 || family === 6
    ? { host: name, preference: 0, implicit: false, addressOutcome: 'ok',
      addresses: [{ address: name, family }] }
    : await resolveHostAddresses(name, options.resolver);
  return probeExchange(planned, options);
}

async function probeExchange(
  exchange: PlannedExchange,
  options: DomainProbeOptions,
): Promise<ExchangeResult> {
  const result: ExchangeResult = {
    host: exchange.host,
    preference: exchange.preference,
    implicit: exchange.implicit,
    ...(exchange.aliasOf === undefined ? {} : { aliasOf: exchange.aliasOf }),
    addressOutcome: exchange.addressOutcome,
    ...(exchange.addressError === undefined ? {} : { addressError: exchange.addressError }),
    hosts: [],
  };
  // TODO: an address shared by two exchanges is probed once per exchange; the bulk scan's
  // own probeHost shares results, a single domain probe does not.
  const probe = options.probeHost ?? probeHost;
  const hostOptions = hostProbeOptions(options);
  const port = options.port ?? SMTP_PORT;
  for (const address of exchange.addresses) {
    if (address.family === 6 && options.ipv6 === false) continue;
    if (options.signal?.aborted) break;
    result.hosts.push(await probe(
      { host: exchange.host, address: address.address, family: address.family, port },
      hostOptions,
    ));
  }
  return result;
}

/** The per-host part of the domain options. */
function hostProbeOptions(options: DomainProbeOptions): HostProbeOptions {
  const { resolver: _resolver, port: _port, ipv6: _ipv6, probeHost: _probe, ...rest } = options;
  return rest;
}

async function resolveHostAddresses(host: string, resolver: Resolver): Promise<PlannedExchange> {
  const planned: PlannedExchange = {
    host,
    preference: 0,
    implicit: false,
    addressOutcome: 'no-address',
    addresses: [],
  };
  const answers = await Promise.allSettled([resolver.query(host, 'A'),
    resolver.query(host, 'AAAA')]);
  const addresses: HostAddress[] = [];
  for (const answer of answers) {
    if (answer.status === 'rejected') {
      planned.addressError ??= errorInfo(answer.reason);
      continue;
    }
    const alias = answer.value.aliases.at(-1);
    if (alias?.type === 'CNAME') planned.aliasOf ??= alias.target;
    for (const record of answer.value.records) {
      if (record.type === 'A') addresses.push({ address: record.address, family: 4 });
      if (record.type === 'AAAA') addresses.push({ address: record.address, family: 6 });
    }
  }
  planned.addresses = addresses;
  if (addresses.length > 0) planned.addressOutcome = 'ok';
  else if (planned.addressError) planned.addressOutcome = 'error';
  return planned;
}
