/**
 * The mail hosts of a domain as a sending MTA would find them: MX records sorted by preference
 * (RFC 5321 5.1), the null MX of RFC 7505, the implicit MX of a domain with only an address,
 * and each exchange's IPv4 and IPv6 addresses. A missing record is an outcome; a failed lookup
 * is an error and never reads as "no MX".
 */
import { isIP } from 'node:net';

import { errorInfo } from '../errors.js';
import { normalizeName } from './message.js';
import type {
  DnsAnswer,
  MailHostPlan,
  PlannedExchange,
  Resolver,
  ResourceRecord,
} from './types.js';

/** At most this many exchanges are resolved; a longer MX set is cut and flagged. */
export const MAX_EXCHANGES = 20;

/**
 * Finds and resolves the mail hosts of `domain`. Flags: `null-mx-mixed` (a `0 .` beside other
 * MX records, which are used), `mx-is-alias` (an exchange is a CNAME, followed),
 * `mx-is-ip` (an exchange is an IP literal: not resolved and not probed, because RFC 5321 5.1
 * wants a name and Postfix and Exim do not deliver to such an MX), `mx-limit-reached`.
 */
export async function resolveMailHosts(domain: string, resolver: Resolver): Promise<MailHostPlan> {
  const name = normalizeName(domain.trim());
  const plan: MailHostPlan = { domain: name, outcome: 'mx', exchanges: [], flags: [] };

  let mx: DnsAnswer;
  try {
    mx = await resolver.query(name, 'MX');
  } catch (error) {
    return { ...plan, outcome: 'error', error: errorInfo(error) };
  }
  if (mx.rcode === 'NXDOMAIN') return { ...plan, outcome: 'nxdomain' };
  if (mx.records.length === 0) return planImplicitMx(plan, resolver);

  const records = mx.records.filter(isMx);
  // RFC 7505 3: a domain that accepts no mail publishes a single MX whose exchange is the root.
  const hosts = records.filter((r) => r.exchange !== '.');
  if (hosts.length === 0) return { ...plan, outcome: 'null-mx' };
  if (hosts.length < records.length) addFlag(plan, 'null-mx-mixed');

  // Array.prototype.sort is stable, so equal preferences keep the server's order.
  const sorted = [...hosts].sort((a, b) => a.preference - b.preference);
  const seen = new Set<string>();
  const unique = sorted.filter((r) => !seen.has(r.exchange) && seen.add(r.exchange));
  if (unique.length > MAX_EXCHANGES) addFlag(plan, 'mx-limit-reached');

  plan.exchanges = await Promise.all(
    unique.slice(0, MAX_EXCHANGES).map((r) => planExchange(plan, r, resolver)),
  );
  return plan;
}

/** RFC 5321 5.1: no MX records but an address record makes the domain its own mail host. */
async function planImplicitMx(plan: MailHostPlan, resolver: Resolver): Promise<MailHostPlan> {
  const exchange = await resolveAddresses(plan.domain, 0, true, resolver);
  if (exchange.addressOutcome === 'ok') {
    return { ...plan, outcome: 'implicit-mx', exchanges: [exchange] };
  }
  if (exchange.addressOutcome === 'error') {
    return { ...plan, outcome: 'error', error: exchange.addressError };
  }
  return { ...plan, outcome: 'no-mail-hosts' };
}

async function planExchange(
  plan: MailHostPlan,
  record: Extract<ResourceRecord, { type: 'MX' }>,
  resolver: Resolver,
): Promise<PlannedExchange> {
  const host = record.exchange;
  if (isIpLiteral(host)) {
    addFlag(plan, 'mx-is-ip');
    return {
      host,
      preference: record.preference,
      implicit: false,
      addressOutcome: 'no-address',
      addresses: [],
    };
  }
  const exchange = await resolveAddresses(host, record.preference, false, resolver);
  if (exchange.aliasOf !== undefined) addFlag(plan, 'mx-is-alias');
  return exchange;
}

/** Asks for A and AAAA at once; one family failing does not hide the other's addresses. */
async function resolveAddresses(
  host: string,
  preference: number,
  implicit: boolean,
  resolver: Resolver,
): Promise<PlannedExchange> {
  const [v4, v6] = await Promise.allSettled([
    resolver.query(host, 'A'),
    resolver.query(host, 'AAAA'),
  ]);
  const exchange: PlannedExchange = {
    host,
    preference,
    implicit,
    addressOutcome: 'no-address',
    addresses: [],
  };

  for (const result of [v4, v6]) {
    if (result.status === 'rejected') {
      exchange.addressError ??= errorInfo(result.reason);
      continue;
    }
    const answer = result.value;
    const canonical = answer.aliases.at(-1);
    if (canonical?.type === 'CNAME') exchange.aliasOf ??= canonical.target;
    for (const record of answer.records) {
      if (record.type === 'A') exchange.addresses.push({ address: record.address, family: 4 });
      if (record.type === 'AAAA') exchange.addresses.push({ address: record.address, family: 6 });
    }
  }

  if (exchange.addresses.length > 0) exchange.addressOutcome = 'ok';
  else if (exchange.addressError) exchange.addressOutcome = 'error';
  return exchange;
}

function isMx(record: ResourceRecord): record is Extract<ResourceRecord, { type: 'MX' }> {
  return record.type === 'MX';
}

/** An exchange written as an address, bare or in brackets as in an SMTP address literal. */
function isIpLiteral(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return isIP(bare) !== 0;
}

function addFlag(plan: MailHostPlan, flag: string): void {
  if (!plan.flags.includes(flag)) plan.flags.push(flag);
}
