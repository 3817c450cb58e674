import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResolver } from '../../src/dns/resolver.js';
import { DnsError } from '../../src/errors.js';
import { requireDnssecLab, startDnssecLab, type DnssecLab } from '../lab/dnssec.js';

// The lab on its own: Unbound's AD bit must follow Knot's signatures and the anchors it was
// given, or every DANE test built on it would prove nothing.
const run = requireDnssecLab();
if (!run) console.warn('Skipping the DNSSEC lab suite: knot or unbound is not installed');

describe.skipIf(!run)('DNSSEC lab (Knot signing, Unbound validating)', () => {
  let lab: DnssecLab;
  beforeAll(async () => {
    lab = await startDnssecLab({ zones: [
      { name: 'signed.test', records: ['@ MX 10 mx', 'mx A 127.0.40.20'] },
      { name: 'unsigned.test', records: ['mx A 127.0.40.21'], signed: false },
      { name: 'bogus.test', records: ['mx A 127.0.40.22'], trust: 'wrong' },
    ] });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('validates a signed zone: the answer carries the AD bit', async () => {
    const resolver = createResolver({ server: lab.resolver, timeoutMs: 3000 });
    const answer = await resolver.query('mx.signed.test', 'A');
    expect(answer.records).toMatchObject([{ type: 'A', address: '127.0.40.20' }]);
    expect(answer.authenticated).toBe(true);
  });

  it('validates a denial of existence in a signed zone', async () => {
    const resolver = createResolver({ server: lab.resolver, timeoutMs: 3000 });
    const answer = await resolver.query('_25._tcp.mx.signed.test', 'TLSA');
    expect(answer.rcode).toBe('NXDOMAIN');
    expect(answer.authenticated).toBe(true);
  });

  it('answers an unsigned zone without the AD bit', async () => {
    const resolver = createResolver({ server: lab.resolver, timeoutMs: 3000 });
    const answer = await resolver.query('mx.unsigned.test', 'A');
    expect(answer.records).toHaveLength(1);
    expect(answer.authenticated).toBe(false);
  });

  it('gives SERVFAIL for a zone whose trust anchor is wrong', async () => {
    const resolver = createResolver({ server: lab.resolver, timeoutMs: 3000, retries: 0 });
    const error = await resolver.query('mx.bogus.test', 'A').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DnsError);
    expect((error as DnsError).code).toBe('MXTLS_DNS_SERVFAIL');
  });
});
