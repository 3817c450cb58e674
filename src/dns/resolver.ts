/**
 * The stub resolver mxtls uses: asks one recursive server over UDP, repeats over TCP when the
 * answer is truncated, follows CNAME chains, and tells an answer (NOERROR, NXDOMAIN) from a
 * failed lookup (DnsError). Every response must match the query's id and question.
 */
import { randomInt } from 'node:crypto';

import { DnsError } from '../errors.js';
import { AnswerCache, copyAnswer } from './cache.js';
import {
  decodeResponse,
  encodeQuery,
  MalformedMessage,
  normalizeName,
  TYPE_CODES,
  type DecodedResponse,
} from './message.js';
import { formatServer, parseServer, systemNameserver, type ServerAddress } from './resolv-conf.js';
import { exchangeTcp, exchangeUdp } from './transport.js';
import type { DnsAnswer, RecordType, Resolver, ResolverOptions, ResourceRecord } from './types.js';

/** How many CNAMEs a lookup follows, inside one answer and across queries together. */
export const MAX_CNAME_HOPS = 8;

const RCODE_NAMES: Record<number, string> = {
  1: 'FORMERR',
  2: 'SERVFAIL',
  4: 'NOTIMP',
  5: 'REFUSED',
};

/** Options of createResolver; `now` is the clock of the cache, for tests. */
export interface CreateResolverOptions extends ResolverOptions {
  now?: () => number;
}

/**
 * A resolver that asks `options.server` (default: the first nameserver of /etc/resolv.conf).
 * Timeout 5000 ms per try, 1 retry over UDP, no cache unless `cacheSize` is given. Safe to use
 * for many questions at once: each question has its own socket and a random id. Throws
 * UsageError for a `server` that is not an IP address, and DnsError when no server is given
 * and /etc/resolv.conf names none.
 */
export function createResolver(options: CreateResolverOptions = {}): Resolver {
  const server = parseServer(options.server ?? systemNameserver());
  const timeoutMs = options.timeoutMs ?? 5000;
  const retries = options.retries ?? 1;
  const cache = new AnswerCache(options.cacheSize ?? 0, options.now ?? Date.now);
  // Concurrent identical questions share one lookup; entries leave when the lookup settles.
  const inFlight = new Map<string, Promise<DnsAnswer>>();

  const lookup = (name: string, type: RecordType): Promise<DnsAnswer> => {
    const cached = cache.get(name, type);
    if (cached) return Promise.resolve(cached);
    const key = `${type} ${name}`;
    const pending = inFlight.get(key);
    if (pending) return pending.then(copyAnswer);

    const started = resolveChain(name, type, MAX_CNAME_HOPS).finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started.then(copyAnswer);
  };

  const resolveChain = async (
    name: string,
    type: RecordType,
    hops: number,
  ): Promise<DnsAnswer> => {
    const response = await ask(server, name, type, timeoutMs, retries);
    const chain = followChain(response, name, type, hops);
    let answer: DnsAnswer = {
      name,
      type,
      rcode: response.rcode === 3 ? 'NXDOMAIN' : 'NOERROR',
      records: chain.records,
      aliases: chain.aliases,
      authenticated: response.authenticated,
      tcp: response.tcp,
    };

    // The server stopped at an alias without the records for its target: ask for the target.
    if (chain.unresolved !== undefined && answer.rcode === 'NOERROR') {
      // The rest of the chain shares this lookup's hop budget, so a server that hands out one
      // fresh alias per query cannot keep us asking.
      const remaining = hops - chain.aliases.length;
      if (remaining <= 0) throw cnameError(name, type, server, 'longer than 8 names');
      const rest = await resolveChain(chain.unresolved, type, remaining);
      answer = {
        ...answer,
        rcode: rest.rcode,
        records: rest.records,
        aliases: [...answer.aliases, ...rest.aliases],
        authenticated: answer.authenticated && rest.authenticated,
        tcp: answer.tcp || rest.tcp,
      };
    } else {
      cache.set(answer, cacheTtl(answer, response));
    }
    return answer;
  };

  return {
    server: formatServer(server),
    async query(name: string, type: RecordType): Promise<DnsAnswer> {
      return lookup(checkName(name, type, server), type);
    },
  };
}

type Response = DecodedResponse & { tcp: boolean };

/** One question to the server: UDP first, TCP when UDP says the answer was truncated. */
async function ask(
  server: ServerAddress,
  name: string,
  type: RecordType,
  timeoutMs: number,
  retries: number,
): Promise<Response> {
  const id = randomInt(0x10000);
  const query = encodeQuery(id, name, type);
  const question = `"${name}" ${type}`;
  const target = formatServer(server);
  const accept = (message: Buffer) => matchResponse(message, id, name, type, question, target);

  const udp = await exchangeUdp(server, query, { timeoutMs, retries, question }, accept);
  let response: Response = { ...udp, tcp: false };

  // RFC 1123 5.3.2 / 6.1.3.2: a truncated answer is never used, not even its first records.
  if (udp.truncated) {
    try {
      const tcp = await exchangeTcp(server, query, { timeoutMs, question }, accept);
      response = { ...tcp, tcp: true };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new DnsError(
        'MXTLS_DNS_TRUNCATED',
        `Cannot resolve ${question}: the UDP answer from ${target} was truncated and ` +
          `the TCP retry failed (${reason})`,
        { phase: 'dns', target, cause: error },
      );
    }
  }

  // TODO: a server that answers FORMERR because it does not understand EDNS is not asked
  // again without the OPT record, so such (rare, old) servers give an error instead of an answer.
  const failure = RCODE_NAMES[response.rcode];
  if (failure !== undefined || (response.rcode !== 0 && response.rcode !== 3)) {
    const rcode = failure ?? `RCODE ${response.rcode}`;
    const code = response.rcode === 5 ? 'MXTLS_DNS_REFUSED' : 'MXTLS_DNS_SERVFAIL';
    throw new DnsError(code, `Cannot resolve ${question}: ${target} answered ${rcode}`, {
      phase: 'dns',
      target,
      response: rcode,
    });
  }
  return response;
}

/**
 * Whether a message is the response to our query: same id, QR set, same question. Anything
 * else is ignored (it may be a late answer to another query or a spoofing attempt).
 */
function matchResponse(
  message: Buffer,
  id: number,
  name: string,
  type: RecordType,
  question: string,
  target: string,
): DecodedResponse | undefined {
  if (message.length < 12 || message.readUInt16BE(0) !== id) return undefined;
  if ((message[2] ?? 0) < 0x80) return undefined;

  let response: DecodedResponse;
  try {
    response = decodeResponse(message);
  } catch (error) {
    if (!(error instanceof MalformedMessage)) throw error;
    throw new DnsError(
      'MXTLS_DNS_MALFORMED',
      `Cannot resolve ${question}: malformed answer from ${target} (${error.message})`,
      { phase: 'dns', target, cause: error },
    );
  }

  const asked = response.question;
  if (!asked || asked.name !== name || asked.type !== TYPE_CODES[type]) return undefined;
  return response;
}

/**
 * Collects the records of the asked type at the end of the CNAME chain that starts at the
 * asked name. Records off the chain are ignored: a server has no say over other names.
 */
function followChain(response: DecodedResponse, name: string, type: RecordType, hops: number) {
  const aliases: ResourceRecord[] = [];
  const seen = new Set([name]);
  let current = name;

  for (;;) {
    const records = response.answers.filter((r) => r.type === type && r.name === current);
    if (records.length > 0 || type === 'CNAME') return { records, aliases, unresolved: undefined };

    const alias = response.answers.find((r) => r.type === 'CNAME' && r.name === current);
    if (!alias || alias.type !== 'CNAME') {
      return { records, aliases, unresolved: aliases.length > 0 ? current : undefined };
    }
    if (seen.has(alias.target)) {
      throw new DnsError('MXTLS_DNS_SERVFAIL', `Cannot resolve "${name}" ${type}: CNAME loop`, {
        phase: 'dns',
      });
    }
    if (aliases.length >= hops) {
      throw new DnsError(
        'MXTLS_DNS_SERVFAIL',
        `Cannot resolve "${name}" ${type}: CNAME chain longer than ${MAX_CNAME_HOPS} names`,
        { phase: 'dns' },
      );
    }
    aliases.push(alias);
    seen.add(alias.target);
    current = alias.target;
  }
}

/** The shortest TTL of the answer, or the SOA's negative TTL for NXDOMAIN and NODATA. */
function cacheTtl(answer: DnsAnswer, response: DecodedResponse): number {
  const ttls = [...answer.records, ...answer.aliases].map((r) => r.ttl);
  if (answer.records.length === 0) return response.negativeTtl ?? 0;
  return Math.min(...ttls);
}

function cnameError(name: string, type: RecordType, server: ServerAddress, why: string) {
  const message = `Cannot resolve "${name}" ${type}: CNAME chain ${why}`;
  return new DnsError('MXTLS_DNS_SERVFAIL', message, {
    phase: 'dns',
    target: formatServer(server),
  });
}

/** Normalises a name and refuses ones that cannot go on the wire (RFC 1035 2.3.4). */
function checkName(name: string, type: RecordType, server: ServerAddress): string {
  const normal = normalizeName(name.trim());
  const labels = normal.split('.');
  const valid =
    normal !== '.' &&
    normal.length <= 253 &&
    labels.every((label) => label.length >= 1 && label.length <= 63);
  if (!valid) {
    throw new DnsError('MXTLS_INPUT', `Cannot resolve "${name}" ${type}: not a domain name`, {
      phase: 'input',
      target: formatServer(server),
    });
  }
  return normal;
}
