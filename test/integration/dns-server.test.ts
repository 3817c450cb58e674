/**
 * The test DNS server helper itself: UDP truncation by payload size, TCP on the same port,
 * hooks, the query log, and a zone of hundreds of domains resolved at once.
 */
import { createSocket } from 'node:dgram';

import dns2 from 'dns2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { resolveMailHosts } from '../../src/dns/mx.js';
import { createResolver } from '../../src/dns/resolver.js';
import { startDnsServer, type TestDnsServer, type Zone } from '../helpers/dns-server.js';

const { Packet } = dns2;

/** TXT records of `count` strings of 100 bytes: about 101 * count bytes of answer. */
function bigTxt(count: number): string[][] {
  return Array.from({ length: count }, (_, i) => [`${i}`.padEnd(100, 'x')]);
}

const zone: Zone = {
  'medium.example.test': { TXT: bigTxt(7) },
  'large.example.test': { TXT: bigTxt(14) },
  'raw.example.test': {
    hook: (query) => {
      // A hand-made NOERROR answer carrying only the question (NODATA), with the query's id.
      const reply = new Packet();
      Object.assign(reply.header, { id: query.id, qr: 1, rd: 1, ra: 1 });
      (reply.questions as unknown[]).push({ name: query.name, type: 1, class: 1 });
      return reply.toBuffer();
    },
  },
  'silent.example.test': { drop: true },
  'alias.example.test': { CNAME: 'target.example.test' },
  'target.example.test': { A: ['127.0.1.40'] },
};

let server: TestDnsServer;

beforeAll(async () => {
  server = await startDnsServer({ zone });
});

afterAll(async () => {
  await server.close();
});

/** Sends a query without EDNS over UDP and returns the raw response. */
function plainUdpQuery(name: string, type: number): Promise<Buffer> {
  const query = new Packet();
  query.header.id = 7;
  query.header.rd = 1;
  (query.questions as unknown[]).push({ name, type, class: 1 });
  const socket = createSocket('udp4');
  return new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer')), 3000);
    socket.on('message', (message) => {
      clearTimeout(timer);
      socket.close();
      resolve(message);
    });
    socket.send(query.toBuffer(), server.port, server.host);
  });
}

describe('startDnsServer', () => {
  it('truncates a UDP answer over 512 bytes when the query has no EDNS', async () => {
    const response = Packet.parse(await plainUdpQuery('medium.example.test', 16));
    expect(response.header.tc).toBe(1);
    expect(response.answers).toEqual([]);
  });

  it('sends up to the EDNS payload over UDP and the rest over TCP on the same port', async () => {
    const resolver = createResolver({ server: server.address, timeoutMs: 2000, retries: 0 });
    const medium = await resolver.query('medium.example.test', 'TXT');
    expect(medium.tcp).toBe(false);
    expect(medium.records).toHaveLength(7);
    const large = await resolver.query('large.example.test', 'TXT');
    expect(large.tcp).toBe(true);
    expect(large.records).toHaveLength(14);
    expect(server.queries.filter((q) => q.name === 'large.example.test')).toEqual([
      { name: 'large.example.test', type: 'TXT', transport: 'udp' },
      { name: 'large.example.test', type: 'TXT', transport: 'tcp' },
    ]);
  });

  it('sends the bytes a hook returns', async () => {
    const resolver = createResolver({ server: server.address, timeoutMs: 2000, retries: 0 });
    const answer = await resolver.query('raw.example.test', 'A');
    expect(answer).toMatchObject({ rcode: 'NOERROR', records: [] });
  });

  it('never answers a name marked drop', async () => {
    const resolver = createResolver({ server: server.address, timeoutMs: 200, retries: 1 });
    await expect(resolver.query('silent.example.test', 'A')).rejects.toMatchObject({
      code: 'MXTLS_DNS_TIMEOUT',
    });
    expect(server.queries.filter((q) => q.name === 'silent.example.test')).toHaveLength(2);
  });

  it('can leave CNAME targets for the client to ask', async () => {
    const lazy = await startDnsServer({ zone, followCnames: false });
    try {
      const resolver = createResolver({ server: lazy.address, timeoutMs: 2000, retries: 0 });
      const answer = await resolver.query('alias.example.test', 'A');
      expect(answer.records).toMatchObject([{ address: '127.0.1.40' }]);
      const asked = lazy.queries.map((q) => q.name);
      expect(asked).toEqual(['alias.example.test', 'target.example.test']);
    } finally {
      await lazy.close();
    }
  });

  it('serves on an address of the 127.0.1.0/24 range given by the caller', async () => {
    const other = await startDnsServer({ address: '127.0.1.30', zone });
    try {
      expect(other.address).toBe(`127.0.1.30:${other.port}`);
      const resolver = createResolver({ server: other.address, timeoutMs: 2000, retries: 0 });
      const answer = await resolver.query('target.example.test', 'A');
      expect(answer.records).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('resolves the mail hosts of 600 domains at once', async () => {
    const big: Zone = {};
    for (let i = 0; i < 600; i += 1) {
      big[`d${i}.example.test`] = { MX: [{ preference: 10, exchange: `mx${i}.example.test` }] };
    }
    for (let i = 0; i < 600; i += 1) big[`mx${i}.example.test`] = { A: [`127.0.1.${i % 250}`] };
    server.setZone(big);
    const resolver = createResolver({ server: server.address, timeoutMs: 5000, retries: 2 });
    const before = server.queries.length;

    const started = Date.now();
    const plans = await Promise.all(
      Object.keys(big)
        .filter((name) => name.startsWith('d'))
        .map((domain) => resolveMailHosts(domain, resolver)),
    );
    const elapsed = Date.now() - started;
    const queries = server.queries.length - before;
    server.setZone(zone);

    expect(plans.every((plan) => plan.outcome === 'mx')).toBe(true);
    expect(plans[7]?.exchanges[0]?.addresses).toEqual([{ address: '127.0.1.7', family: 4 }]);
    // Reported, not asserted: the speed depends on the machine.
    console.info(`600 domains resolved in ${elapsed} ms with ${queries} queries`);
  });
});
