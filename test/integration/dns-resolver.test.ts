/**
 * The resolver against the dns2-based test server over UDP and TCP: every record type mxtls
 * reads, the answers that are results (NXDOMAIN, NODATA) and the ones that are errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createResolver } from '../../src/dns/resolver.js';
import type { Resolver } from '../../src/dns/types.js';
import { startDnsServer, type TestDnsServer, type Zone } from '../helpers/dns-server.js';

const TLSA_HASH = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';

const zone: Zone = {
  'example.test': {
    MX: [
      { preference: 20, exchange: 'mx2.example.test' },
      { preference: 10, exchange: 'MX1.Example.Test.' },
    ],
    A: ['127.0.1.10'],
    TXT: [['v=spf1 ', 'ip4:127.0.1.0/24 ', '-all'], ['second']],
  },
  'mx1.example.test': { A: ['127.0.1.11', '127.0.1.12'], AAAA: ['::1'] },
  '_25._tcp.mx1.example.test': {
    TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: TLSA_HASH }],
    authenticated: true,
  },
  'www.example.test': { CNAME: 'web.example.test' },
  'web.example.test': { CNAME: 'mx1.example.test' },
  'dangling.example.test': { CNAME: 'gone.example.test' },
  'loop1.example.test': { CNAME: 'loop2.example.test' },
  'loop2.example.test': { CNAME: 'loop1.example.test' },
  'broken.example.test': { servfail: true },
  'refused.example.test': { refused: true },
  'big.example.test': {
    truncateUdp: true,
    MX: Array.from({ length: 12 }, (_, i) => ({
      preference: i,
      exchange: `mx${i}.big.example.test`,
    })),
  },
};

let server: TestDnsServer;
let resolver: Resolver;

beforeAll(async () => {
  server = await startDnsServer({ zone });
  resolver = createResolver({ server: server.address, timeoutMs: 2000, retries: 0 });
});

afterAll(async () => {
  await server.close();
});

describe('createResolver against the test DNS server', () => {
  it('reports the server it asks as IP:PORT', () => {
    expect(resolver.server).toBe(server.address);
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('decodes MX records with normalised exchange names, in the server order', async () => {
    const answer = await resolver.query('Example.Test.', 'MX');
    expect(answer.name).toBe('example.test');
    expect(answer.rcode).toBe('NOERROR');
    expect(answer.tcp).toBe(false);
    expect(answer.records).toEqual([
      { type: 'MX', name: 'example.test', ttl: 300, preference: 20, exchange: 'mx2.example.test' },
      { type: 'MX', name: 'example.test', ttl: 300, preference: 10, exchange: 'mx1.example.test' },
    ]);
    expect(server.queries.at(-1)).toEqual({ name: 'example.test', type: 'MX', transport: 'udp' });
  });

  it('decodes A and AAAA addresses', async () => {
    const v4 = await resolver.query('mx1.example.test', 'A');
    const v6 = await resolver.query('mx1.example.test', 'AAAA');
    expect(v4.records.map((r) => (r.type === 'A' ? r.address : ''))).toEqual([
      '127.0.1.11',
      '127.0.1.12',
    ]);
    expect(v6.records).toEqual([
      { type: 'AAAA', name: 'mx1.example.test', ttl: 300, address: '::1' },
    ]);
  });

  it('keeps each TXT character-string apart', async () => {
    const answer = await resolver.query('example.test', 'TXT');
    const strings = answer.records.map((r) => (r.type === 'TXT' ? r.strings : []));
    expect(strings).toEqual([['v=spf1 ', 'ip4:127.0.1.0/24 ', '-all'], ['second']]);
  });

  it('decodes TLSA fields and data, and reports the AD bit', async () => {
    const answer = await resolver.query('_25._tcp.mx1.example.test', 'TLSA');
    expect(answer.authenticated).toBe(true);
    const [record] = answer.records;
    expect(record?.type).toBe('TLSA');
    if (record?.type !== 'TLSA') return;
    expect([record.usage, record.selector, record.matchingType]).toEqual([3, 1, 1]);
    expect(record.data.toString('hex')).toBe(TLSA_HASH);
    const plain = await resolver.query('mx1.example.test', 'A');
    expect(plain.authenticated).toBe(false);
  });

  it('follows a CNAME chain and lists the aliases in order', async () => {
    const answer = await resolver.query('www.example.test', 'A');
    expect(answer.aliases.map((r) => (r.type === 'CNAME' ? r.target : ''))).toEqual([
      'web.example.test',
      'mx1.example.test',
    ]);
    expect(answer.records).toHaveLength(2);
    expect(answer.records[0]?.name).toBe('mx1.example.test');
  });

  it('answers NXDOMAIN for a missing name and NODATA for a missing type', async () => {
    const nx = await resolver.query('nothing.example.test', 'MX');
    expect(nx.rcode).toBe('NXDOMAIN');
    expect(nx.records).toEqual([]);
    const nodata = await resolver.query('mx1.example.test', 'MX');
    expect(nodata.rcode).toBe('NOERROR');
    expect(nodata.records).toEqual([]);
  });

  it('answers NODATA for a name that only has names below it', async () => {
    const answer = await resolver.query('_tcp.mx1.example.test', 'TLSA');
    expect(answer).toMatchObject({ rcode: 'NOERROR', records: [] });
  });

  it('gives NXDOMAIN for an alias whose target does not exist', async () => {
    const answer = await resolver.query('dangling.example.test', 'A');
    expect(answer.rcode).toBe('NXDOMAIN');
    expect(answer.aliases).toHaveLength(1);
  });

  it('fails a CNAME loop instead of following it for ever', async () => {
    await expect(resolver.query('loop1.example.test', 'A')).rejects.toMatchObject({
      code: 'MXTLS_DNS_SERVFAIL',
    });
  });

  it('turns SERVFAIL and REFUSED into DnsErrors with their codes', async () => {
    await expect(resolver.query('broken.example.test', 'MX')).rejects.toMatchObject({
      name: 'DnsError',
      code: 'MXTLS_DNS_SERVFAIL',
      target: server.address,
    });
    await expect(resolver.query('refused.example.test', 'MX')).rejects.toMatchObject({
      code: 'MXTLS_DNS_REFUSED',
    });
  });

  it('repeats a truncated UDP answer over TCP and returns the whole RRset', async () => {
    const before = server.queries.length;
    const answer = await resolver.query('big.example.test', 'MX');
    expect(answer.tcp).toBe(true);
    expect(answer.records).toHaveLength(12);
    expect(server.queries.slice(before).map((q) => q.transport)).toEqual(['udp', 'tcp']);
  });

  it('answers many questions at once without mixing them up', async () => {
    const names = Array.from({ length: 60 }, (_, i) =>
      i % 2 ? 'mx1.example.test' : 'example.test',
    );
    const answers = await Promise.all(names.map((name) => resolver.query(name, 'A')));
    answers.forEach((answer, i) => {
      expect(answer.name).toBe(names[i]);
      expect(answer.records).toHaveLength(i % 2 ? 2 : 1);
    });
  });

  it('sees a new zone after setZone', async () => {
    server.setZone({ ...zone, 'example.test': { A: ['127.0.1.99'] } });
    const answer = await resolver.query('example.test', 'A');
    expect(answer.records[0]).toMatchObject({ address: '127.0.1.99' });
    server.setZone(zone);
  });

  it('works over IPv6 loopback, UDP and TCP', async () => {
    const v6 = await startDnsServer({ address: '::1', zone });
    try {
      expect(v6.address).toBe(`[::1]:${v6.port}`);
      const overV6 = createResolver({ server: v6.address, timeoutMs: 2000, retries: 0 });
      expect(overV6.server).toBe(v6.address);
      const small = await overV6.query('mx1.example.test', 'A');
      expect(small).toMatchObject({ tcp: false, records: [{}, {}] });
      const big = await overV6.query('big.example.test', 'MX');
      expect(big.tcp).toBe(true);
      expect(big.records).toHaveLength(12);
    } finally {
      await v6.close();
    }
  });
});
