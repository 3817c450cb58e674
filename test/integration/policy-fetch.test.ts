import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResolver } from '../../src/dns/resolver.js';
import { HttpError } from '../../src/errors.js';
import { checkMtaSts } from '../../src/policy/mta-sts.js';
import { fetchStsPolicy } from '../../src/policy/policy-fetch.js';
import { makeCa, makeLeaf, type TestCa, type TestLeaf } from '../helpers/certs.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { startHttpsLab, type HttpsLab } from '../lab/https-server.js';

// The policy fetch through the real path: a dns2 server answers for mta-sts.<domain>, the
// fetch connects to a real HTTPS server on 127.0.41.1 and verifies its certificate against
// the test CA.
const POLICY = 'version: STSv1\nmode: testing\nmax_age: 86400\nmx: mx.sts.test\n';

let ca: TestCa;
let leaf: TestLeaf;
let https: HttpsLab;
let dns: TestDnsServer;

beforeAll(async () => {
  ca = makeCa('mxtls policy fetch CA');
  leaf = makeLeaf(ca, { names: ['mta-sts.sts.test', 'mta-sts.big.test', 'mta-sts.moved.test'] });
  https = await startHttpsLab({
    key: leaf.keyPem, cert: leaf.chainPem,
    responses: {
      'mta-sts.sts.test': { body: POLICY },
      'mta-sts.big.test': { stream: { chunk: 4096, repeat: 1000 } },
      'mta-sts.moved.test': { status: 302, location: 'https://mta-sts.sts.test/' },
      'mta-sts.wrongname.test': { body: POLICY },
    },
  });
  const at = { A: [https.address] };
  dns = await startDnsServer({ zone: {
    '_mta-sts.sts.test': { TXT: [['v=STSv1; id=lab1']] },
    'mta-sts.sts.test': at,
    'mta-sts.big.test': at,
    'mta-sts.moved.test': at,
    'mta-sts.wrongname.test': at,
  } });
});

afterAll(async () => {
  await https?.close();
  await dns?.close();
});

const options = () => ({ resolver: createResolver({ server: dns.address, timeoutMs: 3000 }),
  ca: ca.certPem, port: https.port, timeoutMs: 5000 });

describe('fetchStsPolicy against a real HTTPS server', () => {
  it('fetches the policy, resolving the host through mxtls\'s own resolver', async () => {
    await expect(fetchStsPolicy('sts.test', options())).resolves.toBe(POLICY);
    expect(dns.queries.map((q) => `${q.name} ${q.type}`)).toContain('mta-sts.sts.test A');
    expect(https.requests).toContain('mta-sts.sts.test /.well-known/mta-sts.txt');
  });

  it('refuses a certificate that does not chain to the trusted roots', async () => {
    const { ca: _ca, ...withoutCa } = options();
    const error = await fetchStsPolicy('sts.test', withoutCa).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).message).toMatch(/SELF_SIGNED|UNABLE_TO_GET_ISSUER|unable to/i);
  });

  it('refuses a certificate that does not name mta-sts.<domain>', async () => {
    const error = await fetchStsPolicy('wrongname.test', options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('cuts off a streamed body without Content-Length at the cap', async () => {
    const error = await fetchStsPolicy('big.test', options()).catch((e: unknown) => e);
    expect((error as HttpError).message).toMatch(/: body exceeds 65536 bytes$/);
  });

  it('does not follow a redirect', async () => {
    const error = await fetchStsPolicy('moved.test', options()).catch((e: unknown) => e);
    expect((error as HttpError).message).toContain('server answered 302');
  });

  it('fails with ENOTFOUND when the resolver has no address for the policy host', async () => {
    const error = await fetchStsPolicy('nowhere.test', options()).catch((e: unknown) => e);
    expect((error as HttpError).message).toContain('ENOTFOUND');
  });

  it('gives checkMtaSts a policy whose MX list it judges', async () => {
    const result = await checkMtaSts('sts.test', { ...options(), mx: ['mx.sts.test'] });
    expect(result).toMatchObject({ verdict: 'ok', mode: 'testing', record: { id: 'lab1' } });
  });
});
