/**
 * The resolver against hand-driven loopback servers: compression pointers (C17), truncated
 * answers and split TCP segments (C19), retries after a lost datagram, responses that do not
 * match the query, and malformed messages.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { createResolver } from '../../../src/dns/resolver.js';
import {
  buildResponse,
  framed,
  hex,
  mxRecords,
  startRawTcp,
  startRawUdp,
  withIdOf,
  type RawUdpServer,
} from './raw-servers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanups.splice(0)) await close();
});

async function udpServer(
  onQuery: Parameters<typeof startRawUdp>[1],
  host = '127.0.0.1',
): Promise<RawUdpServer> {
  const server = await startRawUdp(host, onQuery);
  cleanups.push(() => server.close());
  return server;
}

function resolverFor(server: { host: string; port: number }, timeoutMs = 2000, retries = 0) {
  return createResolver({ server: `${server.host}:${server.port}`, timeoutMs, retries });
}

// C17: example.com MX, one answer whose exchange is "mx1" followed by a pointer to offset 12.
const C17_HEADER = '12 34 81 80 00 01 00 01 00 00 00 00';
const C17_QUESTION = '07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 0f 00 01';
const C17_ANSWER = 'c0 0c 00 0f 00 01 00 00 0e 10 00 08 00 64 03 6d 78 31 c0 0c';

describe('compression pointers in RDATA (C17)', () => {
  it('decodes a label followed by a pointer as the full exchange name', async () => {
    const packet = hex(C17_HEADER + C17_QUESTION + C17_ANSWER);
    const server = await udpServer((query, reply) => reply(withIdOf(query, packet)));
    const answer = await resolverFor(server).query('example.com', 'MX');
    expect(answer.records).toEqual([
      { type: 'MX', name: 'example.com', ttl: 3600, preference: 100, exchange: 'mx1.example.com' },
    ]);
  });

  it('decodes a second exchange that points back to the question name', async () => {
    const second = 'c0 0c 00 0f 00 01 00 00 0e 10 00 0b 00 c8 06 6d 78 2d 62 61 6b c0 0c';
    const header = '12 34 81 80 00 01 00 02 00 00 00 00';
    const packet = hex(header + C17_QUESTION + C17_ANSWER + second);
    const server = await udpServer((query, reply) => reply(withIdOf(query, packet)));
    const answer = await resolverFor(server).query('example.com', 'MX');
    expect(answer.records.map((r) => (r.type === 'MX' ? [r.preference, r.exchange] : []))).toEqual([
      [100, 'mx1.example.com'],
      [200, 'mx-bak.example.com'],
    ]);
  });

  it('rejects an RDATA pointer that points to itself as malformed, not as a timeout', async () => {
    // The exchange's pointer sits at offset 47 (0x2f) and points to 47.
    const selfPointer = 'c0 0c 00 0f 00 01 00 00 0e 10 00 08 00 64 03 6d 78 31 c0 2f';
    const packet = hex(C17_HEADER + C17_QUESTION + selfPointer);
    const server = await udpServer((query, reply) => reply(withIdOf(query, packet)));
    const lookup = resolverFor(server, 5000).query('example.com', 'MX');
    await expect(lookup).rejects.toMatchObject({ name: 'DnsError', code: 'MXTLS_DNS_MALFORMED' });
  });

  it('rejects a pointer that points forward', async () => {
    const forward = 'c0 0c 00 0f 00 01 00 00 0e 10 00 08 00 64 03 6d 78 31 c0 31 00';
    const header = '12 34 81 80 00 01 00 01 00 00 00 00';
    const packet = hex(header + C17_QUESTION + forward);
    const server = await udpServer((query, reply) => reply(withIdOf(query, packet)));
    await expect(resolverFor(server).query('example.com', 'MX')).rejects.toMatchObject({
      code: 'MXTLS_DNS_MALFORMED',
    });
  });
});

describe('truncated answers (C19)', () => {
  it('discards a TC=1 UDP answer and reads the RRset over TCP in split segments', async () => {
    const host = '127.0.1.20';
    const udp = await udpServer((query, reply) => {
      reply(buildResponse(query, mxRecords('example.test', 12).slice(0, 3), { tc: 1 }));
    }, host);
    const segments: number[] = [];
    const tcp = await startRawTcp(host, udp.port, (query, socket) => {
      const bytes = framed(buildResponse(query, mxRecords('example.test', 12)));
      // The length prefix is split across two segments sent 50 ms apart.
      segments.push(bytes.length);
      socket.write(bytes.subarray(0, 1));
      setTimeout(() => socket.write(bytes.subarray(1)), 50);
    });
    cleanups.push(() => tcp.close());

    const answer = await resolverFor(udp).query('example.test', 'MX');
    expect(segments).toHaveLength(1);
    expect(answer.tcp).toBe(true);
    expect(answer.records).toHaveLength(12);
    expect(answer.records.map((r) => (r.type === 'MX' ? r.exchange : ''))).toContain(
      'mx11.example.test',
    );
  });

  it('reports a truncated-answer error when TCP is refused, never the partial list', async () => {
    const udp = await udpServer((query, reply) => {
      reply(buildResponse(query, mxRecords('example.test', 12).slice(0, 3), { tc: 1 }));
    }, '127.0.1.19');
    await expect(resolverFor(udp).query('example.test', 'MX')).rejects.toMatchObject({
      name: 'DnsError',
      code: 'MXTLS_DNS_TRUNCATED',
    });
  });

  it('reports a truncated-answer error when TCP closes in the middle of the message', async () => {
    const host = '127.0.1.21';
    const udp = await udpServer((query, reply) => {
      reply(buildResponse(query, [], { tc: 1 }));
    }, host);
    const tcp = await startRawTcp(host, udp.port, (query, socket) => {
      const bytes = framed(buildResponse(query, mxRecords('example.test', 12)));
      socket.end(bytes.subarray(0, 100));
    });
    cleanups.push(() => tcp.close());
    await expect(resolverFor(udp).query('example.test', 'MX')).rejects.toMatchObject({
      code: 'MXTLS_DNS_TRUNCATED',
    });
  });
});

describe('timeouts, retries and stray responses', () => {
  const oneA = [{ name: 'example.test', type: 1, address: '127.0.1.1' }];

  it('sends the query again after a timeout and takes the answer to the second send', async () => {
    const server = await udpServer((query, reply, count) => {
      if (count >= 2) reply(buildResponse(query, oneA));
    });
    const answer = await resolverFor(server, 300, 1).query('example.test', 'A');
    expect(answer.records).toMatchObject([{ address: '127.0.1.1' }]);
    expect(server.received).toHaveLength(2);
  });

  it('fails at once with a network error when the server port is closed', async () => {
    // Nothing listens on 127.0.1.22; the ICMP port-unreachable reaches the connected socket.
    const resolver = createResolver({ server: '127.0.1.22:5399', timeoutMs: 20_000, retries: 3 });
    const started = Date.now();
    await expect(resolver.query('example.test', 'A')).rejects.toMatchObject({
      code: 'MXTLS_DNS_NETWORK',
      target: '127.0.1.22:5399',
    });
    // Far below the 80 s that four timeouts would take; not a speed check.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('gives up with a timeout error after 1 + retries sends', async () => {
    const server = await udpServer(() => undefined);
    const lookup = resolverFor(server, 200, 2).query('example.test', 'A');
    await expect(lookup).rejects.toMatchObject({ code: 'MXTLS_DNS_TIMEOUT' });
    expect(server.received).toHaveLength(3);
  });

  it('ignores responses with another id or question and waits for the real one', async () => {
    const server = await udpServer((query, reply) => {
      const decoy = [{ name: 'example.test', type: 1, address: '127.0.1.66' }];
      const wrongId = buildResponse(query, decoy);
      wrongId.writeUInt16BE((wrongId.readUInt16BE(0) + 1) % 0x10000, 0);
      reply(wrongId);
      const other = Buffer.from(query);
      other.write('\x07examplf', 12, 'latin1');
      reply(buildResponse(other, [{ name: 'examplf.test', type: 1, address: '127.0.1.67' }]));
      setTimeout(() => reply(buildResponse(query, oneA)), 30);
    });
    const answer = await resolverFor(server).query('example.test', 'A');
    expect(answer.records).toEqual([
      { type: 'A', name: 'example.test', ttl: 300, address: '127.0.1.1' },
    ]);
  });

  it('ignores answer records for names off the CNAME chain', async () => {
    const server = await udpServer((query, reply) => {
      reply(
        buildResponse(query, [
          { name: 'evil.test', type: 1, address: '127.0.1.66' },
          { name: 'example.test', type: 1, address: '127.0.1.1' },
        ]),
      );
    });
    const answer = await resolverFor(server).query('example.test', 'A');
    expect(answer.records.map((r) => r.name)).toEqual(['example.test']);
  });

  it('asks for the target when the answer stops at a CNAME', async () => {
    const server = await udpServer((query, reply) => {
      const asked = query.toString('latin1', 13, 16);
      if (asked === 'www') {
        const alias = { name: 'www.example.test', type: 5, domain: 'web.example.test' };
        reply(buildResponse(query, [alias]));
      } else {
        reply(buildResponse(query, [{ name: 'web.example.test', type: 1, address: '127.0.1.3' }]));
      }
    });
    const answer = await resolverFor(server).query('www.example.test', 'A');
    expect(answer.aliases).toMatchObject([
      { name: 'www.example.test', target: 'web.example.test' },
    ]);
    expect(answer.records).toMatchObject([{ name: 'web.example.test', address: '127.0.1.3' }]);
    expect(server.received).toHaveLength(2);
  });

  it('rejects a response whose records run past the end as malformed', async () => {
    const server = await udpServer((query, reply) => {
      const full = buildResponse(query, oneA);
      reply(full.subarray(0, full.length - 2));
    });
    await expect(resolverFor(server).query('example.test', 'A')).rejects.toMatchObject({
      code: 'MXTLS_DNS_MALFORMED',
    });
  });

  it('asks with RD set and an EDNS0 OPT record that has the DO bit and payload 1232', async () => {
    const server = await udpServer((query, reply) => reply(buildResponse(query, oneA)));
    await resolverFor(server).query('example.test', 'A');
    const query = server.received[0];
    expect(query).toBeDefined();
    if (!query) return;
    expect(query[2]! & 0x01).toBe(1);
    expect(query.readUInt16BE(10)).toBe(1);
    // The OPT record follows the question: root name, type 41, class = payload, TTL flags.
    const opt = query.subarray(query.length - 11);
    expect(opt[0]).toBe(0);
    expect(opt.readUInt16BE(1)).toBe(41);
    expect(opt.readUInt16BE(3)).toBe(1232);
    expect(opt.readUInt32BE(5) & 0x8000).toBe(0x8000);
  });
});
