/**
 * probeDomain and probeHostByName against the test DNS server and in-process SMTP servers on
 * 127.0.2.x and ::1, all on one random port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResolver } from '../../../src/dns/resolver.js';
import type { Resolver } from '../../../src/dns/types.js';
import { probeDomain, probeHostByName } from '../../../src/probe/domain.js';
import type { HostTarget } from '../../../src/probe/options.js';
import type { HostResult } from '../../../src/probe/types.js';
import { makeCa, makeLeaf } from '../../helpers/certs.js';
import { startDnsServer, type TestDnsServer } from '../../helpers/dns-server.js';
import { esmtpScript, startSmtpServer, type RunningSmtpServer } from '../../helpers/smtp-server.js';

let dns: TestDnsServer;
let resolver: Resolver;
let port: number;
let ca: ReturnType<typeof makeCa>;
const servers: RunningSmtpServer[] = [];

beforeAll(async () => {
  ca = makeCa();
  const leaf = makeLeaf(ca, { names: ['mx1.good.test', 'mx2.good.test', 'mx.mixed.test'] });
  const tls = { key: leaf.keyPem, cert: leaf.chainPem };
  const plain = '250-mx\r\n250 8BITMIME\r\n';
  // ::1 picks the port; the IPv4 servers share it, because a domain probe uses one port.
  const first = await startSmtpServer(esmtpScript({ tls }), { address: '::1' });
  port = first.port;
  servers.push(first);
  servers.push(await startSmtpServer(esmtpScript({ tls }), { address: '127.0.2.1', port }));
  servers.push(await startSmtpServer(esmtpScript({ tls }), { address: '127.0.2.2', port }));
  servers.push(await startSmtpServer(esmtpScript({ ehlo: plain }), { address: '127.0.2.3', port }));
  dns = await startDnsServer({
    zone: {
      'good.test': { MX: [{ preference: 20, exchange: 'mx2.good.test' },
        { preference: 10, exchange: 'mx1.good.test' }] },
      'mx1.good.test': { A: ['127.0.2.1'], AAAA: ['::1'] },
      'mx2.good.test': { A: ['127.0.2.2'] },
      'mixed.test': { MX: [{ preference: 10, exchange: 'mx.mixed.test' },
        { preference: 20, exchange: 'mx2.good.test' }] },
      'mx.mixed.test': { A: ['127.0.2.3'] },
      'plain.test': { MX: [{ preference: 10, exchange: 'mx.mixed.test' }] },
      'nomail.test': { MX: [{ preference: 0, exchange: '.' }] },
      'noaddr.test': { MX: [{ preference: 10, exchange: 'gone.noaddr.test' }] },
      'gone.noaddr.test': { TXT: [['nothing here']] },
      'broken.test': { servfail: true },
      'v6only.test': { MX: [{ preference: 10, exchange: 'mx.v6only.test' }] },
      'mx.v6only.test': { AAAA: ['::1'] },
    },
  });
  resolver = createResolver({ server: dns.address, timeoutMs: 2000 });
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await dns?.close();
});

const base = () => ({ resolver, port, ca: ca.certPem, helo: 'probe.example.net' });

describe('probeDomain', () => {
  it('probes every address of every exchange, IPv6 too, in preference order', async () => {
    const result = await probeDomain('Good.Test.', base());
    expect(result.schema).toBe('mxtls.scan/1');
    expect(result.domain).toBe('good.test');
    expect(result.verdict).toBe('verified-tls');
    expect(result.detail)
      .toBe('All 3 addresses of 2 MX hosts offer TLS with a verified certificate.');
    expect(result.dns).toEqual({ outcome: 'mx', resolver: dns.address });
    expect(result.exchanges.map((e) => e.host)).toEqual(['mx1.good.test', 'mx2.good.test']);
    expect(result.exchanges[0]?.hosts.map((h) => h.address)).toEqual(['127.0.2.1', '::1']);
    expect(result.exchanges[0]?.hosts[1]?.family).toBe(6);
    expect(result.exchanges.flatMap((e) => e.hosts.map((h) => h.outcome)))
      .toEqual(['tls', 'tls', 'tls']);
  });

  it('leaves IPv6 out when asked', async () => {
    const result = await probeDomain('good.test', { ...base(), ipv6: false });
    expect(result.exchanges[0]?.hosts.map((h) => h.address)).toEqual(['127.0.2.1']);
  });

  it('says so when --no-ipv6 leaves an IPv6-only MX unprobed, not "no address"', async () => {
    const result = await probeDomain('v6only.test', { ...base(), ipv6: false });
    expect(result.verdict).toBe('error');
    expect(result.flags).toContain('ipv6-skipped');
    expect(result.detail).toContain('IPv6');
    expect(result.exchanges[0]?.hosts).toEqual([]);
  });

  it('calls a domain with one plaintext MX and one TLS MX partial', async () => {
    const result = await probeDomain('mixed.test', base());
    expect(result.verdict).toBe('partial');
    expect(result.detail).toContain('mx.mixed.test[127.0.2.3]: STARTTLS not offered');
  });

  it('calls a domain whose only MX has no STARTTLS no-tls', async () => {
    const result = await probeDomain('plain.test', base());
    expect(result.verdict).toBe('no-tls');
  });

  it('calls a null MX no-mail and probes nothing', async () => {
    const before = servers.reduce((n, s) => n + s.connections.length, 0);
    const result = await probeDomain('nomail.test', base());
    expect(result.verdict).toBe('no-mail');
    expect(result.exchanges).toEqual([]);
    expect(servers.reduce((n, s) => n + s.connections.length, 0)).toBe(before);
  });

  it('calls NXDOMAIN not-found', async () => {
    const result = await probeDomain('nx.test', base());
    expect(result.verdict).toBe('not-found');
    expect(result.dns.outcome).toBe('nxdomain');
  });

  it('calls an MX without addresses not-found', async () => {
    const result = await probeDomain('noaddr.test', base());
    expect(result.verdict).toBe('not-found');
    expect(result.exchanges[0]?.addressOutcome).toBe('no-address');
  });

  it('calls a DNS failure error, never no-tls', async () => {
    const result = await probeDomain('broken.test', base());
    expect(result.verdict).toBe('error');
    expect(result.dns.error?.code).toBe('MXTLS_DNS_SERVFAIL');
  });

  it('probes through the probeHost it is given, with the host options only', async () => {
    const seen: HostTarget[] = [];
    const result = await probeDomain('good.test', {
      ...base(),
      probeHost: async (target, options) => {
        seen.push(target);
        expect(options).not.toHaveProperty('resolver');
        return fakeResult(target, 'timeout', true);
      },
    });
    expect(seen).toContainEqual({ host: 'mx2.good.test', address: '127.0.2.2', family: 4, port });
    expect(seen).toHaveLength(3);
    expect(result.verdict).toBe('error');
  });
});

describe('probeHostByName', () => {
  it('resolves the host and probes each of its addresses', async () => {
    const result = await probeHostByName('MX1.good.test.', base());
    expect(result.host).toBe('mx1.good.test');
    expect(result.hosts.map((h) => [h.address, h.outcome])).toEqual([
      ['127.0.2.1', 'tls'], ['::1', 'tls'],
    ]);
  });

  it('probes an IP address without asking DNS', async () => {
    const before = dns.queries.length;
    const result = await probeHostByName('[127.0.2.2]', base());
    expect(dns.queries.length).toBe(before);
    expect(result.hosts.map((h) => [h.address, h.outcome])).toEqual([['127.0.2.2', 'tls']]);
    // The certificate names only DNS names, so an address cannot match it.
    expect(result.hosts[0]?.tls?.certificate.nameMatches).toBe(false);
  });

  it('reports a name without addresses as no-address', async () => {
    const result = await probeHostByName('gone.noaddr.test', base());
    expect(result.addressOutcome).toBe('no-address');
    expect(result.hosts).toEqual([]);
  });
});

function fakeResult(target: HostTarget, outcome: HostResult['outcome'], temporary: boolean):
HostResult {
  return { ...target, outcome, temporary, detail: outcome, starttls: 'unknown',
    timings: { total: 0 } };
}

describe('probeDomain input', () => {
  it('rejects a name that is not a domain before asking DNS', async () => {
    const asked = dns.queries.length;
    for (const name of ['not a domain', '127.0.2.1', '']) {
      await expect(probeDomain(name, base())).rejects.toThrow(/Cannot scan/);
    }
    expect(dns.queries.length).toBe(asked);
  });
});
