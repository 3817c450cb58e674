import { beforeAll, describe, expect, it } from 'vitest';
import { createHash, X509Certificate } from 'node:crypto';
import { makeCa, makeLeaf } from '../../helpers/certs.js';
import { summarizeCertificate } from '../../../src/tls/certificate.js';
import { checkDane, checkDaneExchange } from '../../../src/policy/dane.js';
import type { ResourceRecord } from '../../../src/dns/types.js';
import type { CertificateSummary } from '../../../src/probe/types.js';
import { a, fakeResolver, type FakeEntry } from './fake-resolver.js';

const HOST = 'mx.dane.test';
const NOW = Date.now();
let chain: CertificateSummary[];
let spkiSha256: Buffer;

beforeAll(() => {
  const ca = makeCa('mxtls DANE unit CA');
  const leaf = makeLeaf(ca, { names: [HOST] });
  const x509 = new X509Certificate(leaf.certPem);
  chain = [summarizeCertificate(x509.raw)];
  // The digest is computed from the certificate by Node's own X509 parser; tlsa-match.test.ts
  // checks the matching itself against openssl's digests.
  spkiSha256 = createHash('sha256')
    .update(x509.publicKey.export({ type: 'spki', format: 'der' })).digest();
});

const tlsa = (data: Buffer, usage = 3): ResourceRecord =>
  ({ type: 'TLSA', name: `_25._tcp.${HOST}`, ttl: 300, usage, selector: 1, matchingType: 1,
    data });

function zone(tlsaEntry: FakeEntry, addressSecure = true): Record<string, FakeEntry> {
  return {
    [`${HOST} A`]: { records: [a(HOST, '127.0.40.10')], authenticated: addressSecure },
    [`${HOST} AAAA`]: { authenticated: addressSecure },
    [`_25._tcp.${HOST} TLSA`]: tlsaEntry,
  };
}

const chains = () => [{ address: '127.0.40.10', chain }];

describe('checkDaneExchange', () => {
  it('matches a DANE-EE record over validated answers', async () => {
    const resolver = fakeResolver(zone({ records: [tlsa(spkiSha256)], authenticated: true }));
    const result = await checkDaneExchange(HOST, resolver, chains(), NOW);
    expect(result.outcome).toBe('match');
    expect(result.tlsa[0]).toMatchObject({ usage: 3, selector: 1, matchingType: 1,
      data: spkiSha256.toString('hex'), usable: true });
  });

  it('reports no-match when the digest differs', async () => {
    const resolver = fakeResolver(zone({ records: [tlsa(Buffer.alloc(32, 7))],
      authenticated: true }));
    expect((await checkDaneExchange(HOST, resolver, chains(), NOW)).outcome).toBe('no-match');
  });

  it('does not ask for TLSA when the address records are insecure', async () => {
    const resolver = fakeResolver(zone({ records: [tlsa(spkiSha256)], authenticated: true },
      false));
    const result = await checkDaneExchange(HOST, resolver, chains(), NOW);
    expect(result.outcome).toBe('not-applicable');
    expect(resolver.asked).not.toContain(`_25._tcp.${HOST} TLSA`);
  });

  it('reads a validated NXDOMAIN as no-tlsa, an unvalidated one as not-applicable', async () => {
    const signed = fakeResolver(zone({ rcode: 'NXDOMAIN', authenticated: true }));
    expect((await checkDaneExchange(HOST, signed, chains(), NOW)).outcome).toBe('no-tlsa');
    const unsigned = fakeResolver(zone({ rcode: 'NXDOMAIN', authenticated: false }));
    expect((await checkDaneExchange(HOST, unsigned, chains(), NOW)).outcome)
      .toBe('not-applicable');
  });

  it('calls a SERVFAIL indeterminate, never no DANE', async () => {
    const resolver = fakeResolver(zone({ servfail: true }));
    const result = await checkDaneExchange(HOST, resolver, chains(), NOW);
    expect(result.outcome).toBe('indeterminate');
    expect(result.error?.code).toBe('MXTLS_DNS_SERVFAIL');
  });

  it('tells unusable records and a missing chain apart', async () => {
    const pkix = fakeResolver(zone({ records: [tlsa(spkiSha256, 1)], authenticated: true }));
    expect((await checkDaneExchange(HOST, pkix, chains(), NOW)).outcome).toBe('unusable');
    const usable = fakeResolver(zone({ records: [tlsa(spkiSha256)], authenticated: true }));
    expect((await checkDaneExchange(HOST, usable, undefined, NOW)).outcome).toBe('no-chain');
  });
});

describe('checkDane', () => {
  it('sums up the exchanges as the worst outcome', async () => {
    const resolver = fakeResolver({
      ...zone({ records: [tlsa(spkiSha256)], authenticated: true }),
      'mx2.dane.test A': { servfail: true },
    });
    const result = await checkDane([HOST, 'mx2.dane.test'], resolver, { mxSecure: true,
      chains: new Map([[HOST, chains()]]), now: NOW });
    expect(result.exchanges.map((e) => e.outcome)).toEqual(['match', 'indeterminate']);
    expect(result.outcome).toBe('indeterminate');
    expect(result.resolver).toBe('127.0.40.250:53');
  });
});
