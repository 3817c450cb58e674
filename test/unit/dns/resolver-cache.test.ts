/**
 * The resolver's answer cache and the sharing of identical questions in flight, and the bound
 * on CNAME chains that a server hands out one alias at a time.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { AnswerCache } from '../../../src/dns/cache.js';
import { createResolver } from '../../../src/dns/resolver.js';
import type { DnsAnswer } from '../../../src/dns/types.js';
import { buildResponse, startRawUdp, type RawUdpServer } from './raw-servers.js';

let server: RawUdpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server answering every A query for example.test with one record of TTL 60. */
async function answeringServer(delayMs = 0): Promise<RawUdpServer> {
  server = await startRawUdp('127.0.0.1', (query, reply) => {
    const response = buildResponse(query, [
      { name: 'example.test', type: 1, address: '127.0.1.1', ttl: 60 },
    ]);
    setTimeout(() => reply(response), delayMs);
  });
  return server;
}

function answer(name: string): DnsAnswer {
  return {
    name,
    type: 'A',
    rcode: 'NOERROR',
    records: [{ type: 'A', name, ttl: 60, address: '127.0.1.1' }],
    aliases: [],
    authenticated: false,
    tcp: false,
  };
}

describe('resolver cache', () => {
  it('answers a repeated question from the cache until the TTL runs out', async () => {
    const dns = await answeringServer();
    let now = 1_000_000;
    const resolver = createResolver({
      server: `${dns.host}:${dns.port}`,
      timeoutMs: 2000,
      cacheSize: 10,
      now: () => now,
    });
    await resolver.query('example.test', 'A');
    const second = await resolver.query('EXAMPLE.test', 'A');
    expect(second.records).toHaveLength(1);
    expect(dns.received).toHaveLength(1);

    now += 61_000;
    await resolver.query('example.test', 'A');
    expect(dns.received).toHaveLength(2);
  });

  it('asks every time when no cache size is given', async () => {
    const dns = await answeringServer();
    const resolver = createResolver({ server: `${dns.host}:${dns.port}`, timeoutMs: 2000 });
    await resolver.query('example.test', 'A');
    await resolver.query('example.test', 'A');
    expect(dns.received).toHaveLength(2);
  });

  it('sends one query for identical questions asked at the same time', async () => {
    const dns = await answeringServer(50);
    const resolver = createResolver({ server: `${dns.host}:${dns.port}`, timeoutMs: 2000 });
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => resolver.query('example.test', 'A')),
    );
    expect(dns.received).toHaveLength(1);
    answers[0]?.records.pop();
    expect(answers[1]?.records).toHaveLength(1);
  });

  it('never holds more than its size, dropping the oldest answer first', () => {
    const cache = new AnswerCache(3, () => 0);
    for (let i = 0; i < 10; i += 1) cache.set(answer(`d${i}.example.test`), 60);
    expect(cache.size).toBe(3);
    expect(cache.get('d6.example.test', 'A')).toBeUndefined();
    expect(cache.get('d9.example.test', 'A')?.name).toBe('d9.example.test');
  });

  it('does not keep answers with a TTL of zero', () => {
    const cache = new AnswerCache(3, () => 0);
    cache.set(answer('example.test'), 0);
    expect(cache.size).toBe(0);
  });
});

describe('CNAME chains across queries', () => {
  it('stops a server that answers every query with a fresh alias', async () => {
    let counter = 0;
    server = await startRawUdp('127.0.0.1', (query, reply) => {
      // Each answer aliases the asked name to a new one, never giving the address.
      const asked = query.toString('latin1', 13, 13 + (query[12] ?? 0));
      counter += 1;
      const alias = { name: `${asked}.example.test`, type: 5, domain: `a${counter}.example.test` };
      reply(buildResponse(query, [alias]));
    });
    const resolver = createResolver({ server: `127.0.0.1:${server.port}`, timeoutMs: 2000 });
    await expect(resolver.query('a0.example.test', 'A')).rejects.toMatchObject({
      code: 'MXTLS_DNS_SERVFAIL',
    });
    expect(server.received.length).toBeLessThanOrEqual(9);
  });
});
