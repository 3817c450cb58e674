import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResolver } from '../../src/dns/resolver.js';
import type { Resolver } from '../../src/dns/types.js';
import { probeDomain } from '../../src/probe/domain.js';
import { checkPolicies } from '../../src/policy/index.js';
import type { PolicyResult } from '../../src/policy/types.js';
import { makeCa, makeLeaf, opensslDate, type TestCa } from '../helpers/certs.js';
import { requireDnssecLab, startDnssecLab, type DnssecLab } from '../lab/dnssec.js';
import { startHttpsLab, type HttpsLab } from '../lab/https-server.js';
import { startPostfix, type PostfixInstance } from '../lab/postfix.js';
import { requirePostfix } from '../lab/require.js';

// Every policy outcome against real servers: Postfix presents the certificates, Knot signs
// the zones, Unbound validates them (so the AD bit is earned), and a real HTTPS server on
// 127.0.41.1 serves the MTA-STS policies. Each domain below is one outcome.
const run = requireDnssecLab() && requirePostfix();
if (!run) console.warn('Skipping the policy scan suite: knot, unbound or postfix is missing');

/** SHA-256 of the certificate's SubjectPublicKeyInfo, as openssl computes it. */
function spkiSha256(certFile: string): string {
  return execFileSync('sh', ['-c', `openssl x509 -in '${certFile}' -noout -pubkey | ` +
    'openssl pkey -pubin -outform DER | openssl dgst -sha256 -hex'], { encoding: 'utf8' })
    .trim().split(/\s+/).pop() ?? '';
}

const policy = (mode: string, ...mx: string[]): string =>
  ['version: STSv1', `mode: ${mode}`, 'max_age: 86400', ...mx.map((m) => `mx: ${m}`), '']
    .join('\r\n');

describe.skipIf(!run)('checkPolicies on the lab zones', () => {
  let ca: TestCa;
  let lab: DnssecLab;
  let https: HttpsLab;
  let postfix: PostfixInstance;
  let expiredPostfix: PostfixInstance;
  let resolver: Resolver;
  const results = new Map<string, PolicyResult>();

  beforeAll(async () => {
    ca = makeCa('mxtls policy scan CA');
    const mx = makeLeaf(ca, { names: ['mx.good.test', 'mx2.good.test', 'mx.bad.test',
      'mx.plain.test', 'mx.uncovered.test'], label: 'mx' });
    const unrelated = makeLeaf(ca, { names: ['unrelated.test'], label: 'unrelated' });
    const expired = makeLeaf(ca, { names: ['mx.expired.test'], label: 'expired',
      startDate: opensslDate(new Date(Date.now() - 60 * 86_400_000)),
      endDate: opensslDate(new Date(Date.now() - 86_400_000)) });
    const web = makeLeaf(ca, { names: ['mta-sts.good.test', 'mta-sts.expired.test',
      'mta-sts.uncovered.test'], label: 'web' });

    postfix = await startPostfix({ addresses: ['127.0.40.11', '127.0.40.12', '127.0.40.13',
      '127.0.40.16'], hostname: 'mx.good.test',
      tls: { chainFile: mx.chainFile, keyFile: mx.keyFile } });
    expiredPostfix = await startPostfix({ addresses: ['127.0.40.15'],
      hostname: 'mx.expired.test', tls: { chainFile: expired.chainFile,
        keyFile: expired.keyFile } });
    // Port 443, where a real sender (and `mxtls scan`, which has no port flag for it) looks.
    https = await startHttpsLab({ port: 443, key: web.keyPem, cert: web.chainPem, responses: {
      'mta-sts.good.test': { body: policy('enforce', '*.good.test') },
      'mta-sts.expired.test': { body: policy('enforce', 'mx.expired.test') },
      'mta-sts.uncovered.test': { body: policy('enforce', '*.elsewhere.test') },
    } });
    const sts = ['_mta-sts TXT "v=STSv1; id=lab2026"', `mta-sts A ${https.address}`];
    lab = await startDnssecLab({ zones: [
      { name: 'good.test', records: [
        '@ MX 10 mx', 'mx A 127.0.40.11', `_25._tcp.mx TLSA 3 1 1 ${spkiSha256(mx.certFile)}`,
        ...sts, '_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@good.test"',
        'none MX 10 mx2', 'mx2 A 127.0.40.11',
        'bogusmx MX 10 mx.broken.test.',
      ] },
      { name: 'bad.test', records: ['@ MX 10 mx', 'mx A 127.0.40.12',
        `_25._tcp.mx TLSA 3 1 1 ${spkiSha256(unrelated.certFile)}`] },
      { name: 'plain.test', signed: false, records: ['@ MX 10 mx', 'mx A 127.0.40.13',
        `_25._tcp.mx TLSA 3 1 1 ${spkiSha256(mx.certFile)}`] },
      { name: 'broken.test', trust: 'wrong', records: ['@ MX 10 mx', 'mx A 127.0.40.14'] },
      { name: 'expired.test', signed: false, records: ['@ MX 10 mx', 'mx A 127.0.40.15',
        ...sts] },
      { name: 'uncovered.test', signed: false, records: ['@ MX 10 mx', 'mx A 127.0.40.16',
        ...sts] },
    ] });
    // Generous: Unbound and Knot share two loaded cores with Postfix and the test itself.
    resolver = createResolver({ server: lab.resolver, timeoutMs: 5000, retries: 1 });
  });

  afterAll(async () => {
    await Promise.all([lab?.stop(), https?.close(), postfix?.stop(), expiredPostfix?.stop()]);
  });

  /** Probes the domain as `mxtls scan` does, then checks its policies against the probe. */
  async function scan(domain: string): Promise<PolicyResult> {
    const cached = results.get(domain);
    if (cached) return cached;
    const probe = await probeDomain(domain, { resolver, ca: ca.certPem, helo: 'client.mxtls.test',
      ipv6: false, timeouts: { connect: 3000, greeting: 10_000, command: 5000,
        handshake: 5000 } });
    const result = await checkPolicies(domain, { resolver, ca: ca.certPem, probe,
      httpsPort: https.port, fetchTimeoutMs: 5000 });
    results.set(domain, result);
    return result;
  }

  it('mxtls scan reports each outcome in its table and JSON, as a user runs it', async () => {
    const { main } = await import('../../src/cli/main.js');
    const { bufferIo } = await import('../helpers/buffer-io.js');
    const domains = ['good.test', 'bad.test', 'none.good.test', 'plain.test', 'expired.test',
      'uncovered.test'];
    const flags = ['--resolver', lab.resolver, '--ca-file', ca.certFile, '--no-ipv6',
      '--helo', 'client.mxtls.test'];
    const json = bufferIo();
    const code = await main(['scan', ...domains, ...flags, '--json'], json.io);
    // bad.test's DANE and the enforced policies over a bad MX fail the exit code.
    expect(code).toBe(1);
    const byDomain = new Map(json.out().trim().split('\n').map((line) => {
      const result = JSON.parse(line) as { domain: string; policy: PolicyResult };
      return [result.domain, result.policy] as const;
    }));
    expect(byDomain.get('good.test')?.dane.outcome).toBe('match');
    expect(byDomain.get('good.test')?.mtaSts.verdict).toBe('ok');
    expect(byDomain.get('bad.test')?.dane.outcome).toBe('no-match');
    expect(byDomain.get('none.good.test')?.dane.outcome).toBe('no-tlsa');
    expect(byDomain.get('plain.test')?.dane.outcome).toBe('not-applicable');
    expect(byDomain.get('expired.test')?.mtaSts.verdict).toBe('certificate-refused');
    expect(byDomain.get('uncovered.test')?.mtaSts.verdict).toBe('mx-not-covered');

    const table = bufferIo();
    await main(['scan', 'good.test', 'bad.test', ...flags], table.io);
    const rows = table.out().trim().split('\n');
    expect(rows[0]).toMatch(/MTA-STS\s+DANE$/);
    expect(rows.find((r) => r.startsWith('good.test'))).toMatch(/enforce\s+match$/);
    expect(rows.find((r) => r.startsWith('bad.test'))).toMatch(/no-match$/);
  });

  it('good.test: TLSA matches, the enforce policy covers the MX, TLS-RPT present', async () => {
    const result = await scan('good.test');
    expect(result.dane.outcome).toBe('match');
    expect(result.dane.mxSecure).toBe(true);
    expect(result.dane.exchanges[0]?.addresses[0]).toMatchObject({ address: '127.0.40.11',
      outcome: 'match', matched: '3 1 1' });
    expect(result.mtaSts).toMatchObject({ verdict: 'ok', mode: 'enforce', severity: 'ok' });
    expect(result.tlsRpt.verdict).toBe('present');
    expect(result.tlsRpt.rua[0]?.uri).toBe('mailto:tlsrpt@good.test');
    expect(result.requireTls.verdict).toBe('not-advertised');
  });

  it('bad.test: TLSA present but nothing matches', async () => {
    const result = await scan('bad.test');
    expect(result.dane.outcome).toBe('no-match');
    expect(result.dane.severity).toBe('error');
    expect(result.mtaSts.verdict).toBe('no-policy');
  });

  it('none.good.test: a signed zone proves there is no TLSA record', async () => {
    expect((await scan('none.good.test')).dane.outcome).toBe('no-tlsa');
  });

  it('plain.test: an unsigned zone makes DANE not applicable, TLSA or not', async () => {
    const result = await scan('plain.test');
    expect(result.dane.outcome).toBe('not-applicable');
    expect(result.dane.mxSecure).toBe(false);
    expect(result.tlsRpt.verdict).toBe('absent');
  });

  it('bogusmx.good.test: an MX host in a bogus zone is indeterminate, not "no DANE"', async () => {
    const result = await scan('bogusmx.good.test');
    expect(result.dane.outcome).toBe('indeterminate');
    expect(result.dane.exchanges[0]?.error?.code).toBe('MXTLS_DNS_SERVFAIL');
  });

  it('broken.test: a bogus domain is indeterminate for DANE and an error for MTA-STS', async () => {
    const result = await scan('broken.test');
    expect(result.dane.outcome).toBe('indeterminate');
    expect(result.mtaSts.verdict).toBe('error');
  });

  it('expired.test: an enforce policy over an expired certificate is refused', async () => {
    const result = await scan('expired.test');
    expect(result.mtaSts).toMatchObject({ verdict: 'certificate-refused', severity: 'error',
      mode: 'enforce' });
    expect(result.mtaSts.refused).toEqual([{ host: 'mx.expired.test', address: '127.0.40.15',
      reason: 'expired' }]);
  });

  it('runs the version enumeration on every probed address when asked', async () => {
    const probe = await probeDomain('good.test', { resolver, ca: ca.certPem,
      helo: 'client.mxtls.test', ipv6: false });
    const result = await checkPolicies('good.test', { resolver, ca: ca.certPem, probe,
      httpsPort: https.port, versions: { helo: 'client.mxtls.test' } });
    expect(result.versions?.map((v) => v.address)).toEqual(['127.0.40.11']);
    const attempts = result.versions?.[0]?.attempts ?? [];
    expect(attempts.map((a) => a.version)).toEqual(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);
    expect(result.versions?.[0]?.accepted).toContain('TLSv1.3');
    expect(result.versions?.[0]?.accepted)
      .toEqual(attempts.filter((a) => a.outcome === 'accepted').map((a) => a.version));
  });

  it('uncovered.test: an MX that no enforce pattern covers is a hard error', async () => {
    const result = await scan('uncovered.test');
    expect(result.mtaSts).toMatchObject({ verdict: 'mx-not-covered', severity: 'error',
      uncovered: ['mx.uncovered.test'] });
  });
});
