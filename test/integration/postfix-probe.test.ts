/**
 * probeHost and probeDomain against real Postfix servers (test/lab/probe-lab.ts) and a DNS test
 * server, cross-checked with posttls-finger on the same servers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResolver } from '../../src/dns/resolver.js';
import type { Resolver } from '../../src/dns/types.js';
import { probeDomain } from '../../src/probe/domain.js';
import { probeHost } from '../../src/probe/host.js';
import type { DomainResult, HostResult } from '../../src/probe/types.js';
import { runPosttlsFinger } from '../lab/posttls-finger.js';
import { GOOD_DAYS_TO_EXPIRY, LAB_HOSTS, startProbeLab, type LabRole } from '../lab/probe-lab.js';
import type { ProbeLab } from '../lab/probe-lab.js';
import { requirePostfix } from '../lab/require.js';
import { pollUntil } from '../lab/wait.js';

const ROLES: LabRole[] = ['good', 'plain', 'wrong', 'tls12'];

/** The extensions Postfix 3.7 advertises with the lab's settings, STARTTLS aside. */
const POSTFIX_EXTENSIONS = ['PIPELINING', 'SIZE', 'ENHANCEDSTATUSCODES', '8BITMIME', 'DSN'];

describe.skipIf(!requirePostfix())('probe against real Postfix', () => {
  let lab: ProbeLab;
  const results = new Map<LabRole, HostResult>();
  /** Each server's log lines written during the probe of it. */
  const sessionLogs = new Map<LabRole, string[]>();

  beforeAll(async () => {
    lab = await startProbeLab();
    for (const role of ROLES) {
      const { host, address } = LAB_HOSTS[role];
      const server = lab.servers[role];
      const before = server.readLog().length;
      const result = await probeHost(
        { host, address, family: 4, port: 25 },
        { ca: lab.ca.certPem, helo: 'probe.mxtls.test' },
      );
      results.set(role, result);
      // The maillog is written by postlogd a moment after the session ends.
      const lines = await pollUntil(`see the probe's session end in ${role}'s log`, () => {
        const fresh = server.readLog().slice(before).split('\n');
        return fresh.some((l) => / disconnect from /.test(l)) ? fresh : undefined;
      }, { timeoutMs: 10_000 });
      sessionLogs.set(role, lines);
    }
  });

  afterAll(async () => {
    await lab?.stop();
  });

  const result = (role: LabRole): HostResult => {
    const found = results.get(role);
    if (!found) throw new Error(`no probe result for ${role}`);
    return found;
  };

  it('reads the banner and the EHLO extensions of every server', () => {
    for (const role of ROLES) {
      const r = result(role);
      expect(r.greeting?.code).toBe(220);
      expect(r.greeting?.lines[0]).toBe(`${LAB_HOSTS[role].host} ESMTP Postfix`);
      expect(r.hello?.command).toBe('EHLO');
      expect(Object.keys(r.extensions ?? {})).toEqual(expect.arrayContaining(POSTFIX_EXTENSIONS));
      expect(r.extensions?.SIZE).toEqual(['10240000']);
    }
  });

  it('records a verified TLS 1.3 session with the whole chain for the good server', () => {
    const r = result('good');
    expect(r.outcome).toBe('tls');
    expect(r.starttls).toBe('offered');
    expect(r.starttlsReply?.code).toBe(220);
    expect(r.temporary).toBe(false);
    const tls = r.tls!;
    expect(tls.protocol).toBe('TLSv1.3');
    expect(tls.cipher.name).toBe('TLS_AES_256_GCM_SHA384');
    expect(tls.cipher.bits).toBe(256);
    expect(tls.keyExchange?.name).toBe('X25519');
    expect(tls.legacyRetry).toBe(false);

    expect(tls.chain).toHaveLength(2);
    const [leaf, root] = tls.chain;
    expect(leaf?.subject).toContain('CN=mx1.good.test');
    expect(leaf?.dnsNames).toEqual(['mx1.good.test', 'implicit.test']);
    expect(leaf?.issuer).toContain('CN=mxtls Lab CA');
    expect(leaf?.keyType).toBe('RSA');
    expect(leaf?.keyBits).toBe(2048);
    expect(leaf?.sha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(Date.parse(leaf?.validTo ?? '')).toBeGreaterThan(Date.now());
    expect(root?.subject).toContain('CN=mxtls Lab CA');
    expect(root?.keyType).toBe('EC');

    expect(tls.certificate).toMatchObject({
      chainVerified: true,
      nameMatches: true,
      checkedName: 'mx1.good.test',
      expired: false,
      notYetValid: false,
      daysToExpiry: GOOD_DAYS_TO_EXPIRY,
      summary: 'verified',
    });
  });

  it('reads the extensions again after TLS, where STARTTLS is no longer offered', () => {
    for (const role of ['good', 'wrong', 'tls12'] as const) {
      const r = result(role);
      expect(r.extensionsTls).toBeDefined();
      expect(Object.keys(r.extensionsTls ?? {})).toEqual(
        expect.arrayContaining(POSTFIX_EXTENSIONS),
      );
      expect(r.extensionsTls).not.toHaveProperty('STARTTLS');
      expect(r.requireTls).toBe(false);
    }
  });

  it('reports a server without STARTTLS as not offering it, with no TLS session', () => {
    const r = result('plain');
    expect(r.outcome).toBe('starttls-not-offered');
    expect(r.starttls).toBe('not-offered');
    expect(r.temporary).toBe(false);
    expect(r.extensions).not.toHaveProperty('STARTTLS');
    expect(r.tls).toBeUndefined();
    expect(r.starttlsReply).toBeUndefined();
  });

  it('finishes the handshake with a wrong-name certificate and calls it a name mismatch', () => {
    const r = result('wrong');
    expect(r.outcome).toBe('tls');
    expect(r.tls?.chain[0]?.dnsNames).toEqual(['somewhere-else.test']);
    expect(r.tls?.certificate).toMatchObject({
      chainVerified: true,
      nameMatches: false,
      checkedName: 'mx3.wrong.test',
      summary: 'name-mismatch',
    });
  });

  it('records TLS 1.2 with an ECDHE-ECDSA cipher for the server limited to TLS 1.2', () => {
    const r = result('tls12');
    expect(r.outcome).toBe('tls');
    expect(r.tls?.protocol).toBe('TLSv1.2');
    expect(r.tls?.cipher.name).toMatch(/^ECDHE-ECDSA-/);
    expect(r.tls?.keyExchange?.type).toBe('ECDH');
    expect(r.tls?.chain[0]?.keyType).toBe('EC');
    expect(r.tls?.chain[0]?.keyBits).toBe(256);
    expect(r.tls?.chain[0]?.curve).toBe('prime256v1');
    expect(r.tls?.certificate.summary).toBe('verified');
  });

  it('sends no MAIL FROM or RCPT TO: Postfix counts only EHLO, STARTTLS and QUIT', () => {
    for (const role of ROLES) {
      const lines = sessionLogs.get(role) ?? [];
      const disconnect = lines.find((l) => / disconnect from /.test(l)) ?? '';
      const tls = role === 'plain' ? '' : ' ehlo=2 starttls=1';
      const expected = role === 'plain' ? ' ehlo=1 quit=1 commands=2' : `${tls} quit=1 commands=4`;
      expect(disconnect.endsWith(expected), disconnect).toBe(true);
      expect(lines.join('\n')).not.toMatch(/\b(mail|rcpt|data)=\d|from=<|to=</);
    }
  });

  it('agrees with posttls-finger on STARTTLS, protocol and cipher for every server', async () => {
    for (const role of ROLES) {
      const { host, address } = LAB_HOSTS[role];
      const finger = await runPosttlsFinger(address, { caFile: lab.ca.certFile, match: [host] });
      const r = result(role);
      expect(finger.connected, finger.output).toBe(true);
      expect(finger.starttlsOffered).toBe(r.starttls === 'offered');
      if (role === 'plain') {
        expect(finger.tls).toBeUndefined();
        continue;
      }
      expect(finger.tls?.protocol).toBe(r.tls?.protocol);
      expect(finger.tls?.cipher).toBe(r.tls?.cipher.name);
      expect(finger.tls?.bits).toBe(r.tls?.cipher.bits);
      // posttls-finger names the group only for TLS 1.3 sessions.
      if (finger.tls?.keyExchange) expect(finger.tls.keyExchange).toBe(r.tls?.keyExchange?.name);
      expect(finger.extensionsTls).toEqual(Object.keys(r.extensionsTls ?? {}));
      // Postfix's verdict and ours agree on what "verified" means.
      const verified = r.tls?.certificate.summary === 'verified';
      expect(finger.tls?.trust).toBe(verified ? 'Verified' : 'Untrusted');
      if (!verified) expect(finger.verifyFailure).toBe('hostname mismatch');
    }
  });

  describe('probeDomain', () => {
    let resolver: Resolver;
    const scan = (domain: string): Promise<DomainResult> =>
      probeDomain(domain, { resolver, ca: lab.ca.certPem, port: 25, helo: 'probe.mxtls.test' });

    beforeAll(() => {
      resolver = createResolver({ server: lab.dns.address, timeoutMs: 2000, retries: 0 });
    });

    it('probes MX hosts in order of preference and calls a mixed set partial', async () => {
      const r = await scan('multi.test');
      expect(r.dns).toMatchObject({ outcome: 'mx', resolver: lab.dns.address });
      expect(r.exchanges.map((e) => [e.preference, e.host])).toEqual([
        [10, 'mx1.good.test'],
        [20, 'mx4.tls12.test'],
        [30, 'mx2.plain.test'],
      ]);
      const outcomes = r.exchanges.map((e) => e.hosts.map((h) => [h.address, h.outcome]));
      expect(outcomes).toEqual([
        [['127.0.10.1', 'tls']],
        [['127.0.10.4', 'tls']],
        [['127.0.10.2', 'starttls-not-offered']],
      ]);
      expect(r.verdict).toBe('partial');
      expect(r.detail).toContain('mx2.plain.test[127.0.10.2]');
    });

    it('gives each single-MX domain the verdict of its server', async () => {
      const verdicts = await Promise.all(
        ['good.test', 'tls12.test', 'wrong.test', 'plain.test'].map(async (d) => {
          const r = await scan(d);
          return [d, r.verdict, r.exchanges[0]?.hosts[0]?.tls?.protocol];
        }),
      );
      expect(verdicts).toEqual([
        ['good.test', 'verified-tls', 'TLSv1.3'],
        ['tls12.test', 'verified-tls', 'TLSv1.2'],
        ['wrong.test', 'tls-unverified', 'TLSv1.3'],
        ['plain.test', 'no-tls', undefined],
      ]);
    });

    it('calls a null MX "accepts no mail" and probes nothing', async () => {
      const r = await scan('nullmx.test');
      expect(r.verdict).toBe('no-mail');
      expect(r.dns.outcome).toBe('null-mx');
      expect(r.dns.error).toBeUndefined();
      expect(r.exchanges).toEqual([]);
    });

    it('uses the domain itself as implicit MX when it has only an address', async () => {
      const r = await scan('implicit.test');
      expect(r.dns.outcome).toBe('implicit-mx');
      expect(r.exchanges).toHaveLength(1);
      expect(r.exchanges[0]).toMatchObject({ host: 'implicit.test', implicit: true });
      const host = r.exchanges[0]?.hosts[0];
      expect(host?.address).toBe(LAB_HOSTS.good.address);
      expect(host?.tls?.certificate).toMatchObject({
        checkedName: 'implicit.test',
        nameMatches: true,
      });
      expect(r.verdict).toBe('verified-tls');
    });

    it('gives an MX host without any address its own outcome beside the others', async () => {
      const r = await scan('noaddr.test');
      expect(r.exchanges.map((e) => [e.host, e.addressOutcome, e.hosts.length])).toEqual([
        ['ghost.noaddr.test', 'no-address', 0],
        ['mx1.good.test', 'ok', 1],
      ]);
      expect(r.exchanges[0]?.addressError).toBeUndefined();
      expect(r.verdict).not.toBe('error');

      const only = await scan('ghostonly.test');
      expect(only.verdict).toBe('not-found');
      expect(only.exchanges[0]?.addressOutcome).toBe('no-address');
    });

    it('reports NXDOMAIN as not found and SERVFAIL as an error of that domain', async () => {
      const missing = await scan('missing.test');
      expect(missing.verdict).toBe('not-found');
      expect(missing.dns.outcome).toBe('nxdomain');
      expect(missing.dns.error).toBeUndefined();

      const broken = await scan('broken.test');
      expect(broken.verdict).toBe('error');
      expect(broken.dns.outcome).toBe('error');
      expect(broken.dns.error?.code).toBe('MXTLS_DNS_SERVFAIL');
      expect(broken.detail).toContain('broken.test');
    });
  });

  it('gives a test resolver that answers from the lab zone', async () => {
    const resolver = createResolver({ server: lab.dns.address, timeoutMs: 2000 });
    const answer = await resolver.query('mx1.good.test', 'A');
    expect(answer.records).toMatchObject([{ type: 'A', address: LAB_HOSTS.good.address }]);
  });
});
