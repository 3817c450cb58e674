import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setupServer } from 'msw/node';
import { delay, http, HttpResponse } from 'msw';
import { fetchStsPolicy, policyUrl } from '../../../src/policy/policy-fetch.js';
import { checkMtaSts } from '../../../src/policy/mta-sts.js';
import { HttpError } from '../../../src/errors.js';
import { a, fakeResolver, txt, type FakeEntry } from './fake-resolver.js';

const URL = 'https://mta-sts.example.test/.well-known/mta-sts.txt';
const BODY = 'version: STSv1\r\nmode: enforce\r\nmax_age: 604800\r\nmx: *.example.test\r\n';
const server = setupServer();
// msw answers in place of a server, so no lookup happens here (the integration test checks
// that the host goes through mxtls's resolver); the entry is there should one happen.
const POLICY_HOST: Record<string, FakeEntry> = {
  'mta-sts.example.test A': { records: [a('mta-sts.example.test', '127.0.40.99')] },
};
const resolver = fakeResolver(POLICY_HOST);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

async function failure(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
}

describe('fetchStsPolicy', () => {
  it('builds the well-known URL, with a port only when it is not 443', () => {
    expect(policyUrl('example.test')).toBe(URL);
    expect(policyUrl('example.test', 8443))
      .toBe('https://mta-sts.example.test:8443/.well-known/mta-sts.txt');
  });

  it('returns the body of a 200 text/plain answer, charset parameter allowed', async () => {
    server.use(http.get(URL, () => new HttpResponse(BODY,
      { headers: { 'content-type': 'text/plain; charset=utf-8' } })));
    await expect(fetchStsPolicy('example.test', { resolver })).resolves.toBe(BODY);
  });

  it('fails on 404 and says so', async () => {
    server.use(http.get(URL, () => new HttpResponse('gone', { status: 404,
      headers: { 'content-type': 'text/plain' } })));
    const error = await failure(fetchStsPolicy('example.test', { resolver }));
    expect(error.code).toBe('MXTLS_HTTP');
    expect(error.message).toBe(`Cannot fetch policy from "${URL}": server answered 404`);
  });

  it('does not follow a redirect', async () => {
    let followed = false;
    server.use(
      http.get(URL, () => new HttpResponse(null, { status: 301,
        headers: { location: 'https://elsewhere.example.test/policy.txt' } })),
      http.get('https://elsewhere.example.test/policy.txt', () => {
        followed = true;
        return new HttpResponse(BODY, { headers: { 'content-type': 'text/plain' } });
      }),
    );
    const error = await failure(fetchStsPolicy('example.test', { resolver }));
    expect(error.message).toContain('server answered 301, a redirect to ' +
      '"https://elsewhere.example.test/policy.txt"');
    expect(followed).toBe(false);
  });

  it('refuses a body whose Content-Length exceeds the cap', async () => {
    const big = `${BODY}${'x: y\n'.repeat(20_000)}`;
    server.use(http.get(URL, () => new HttpResponse(big, { headers: {
      'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(big)) } })));
    const declared = await failure(fetchStsPolicy('example.test', { resolver }));
    expect(declared.message).toMatch(/body of \d+ bytes exceeds 65536 bytes$/);

    // A body without Content-Length that grows past the cap is cut off while it streams; that
    // path runs against the real HTTPS server in test/integration/policy-fetch.test.ts,
    // because msw's mock socket breaks when a request is destroyed mid-body.
  });

  it('refuses a content type other than text/plain', async () => {
    server.use(http.get(URL, () => new HttpResponse(`<pre>${BODY}</pre>`,
      { headers: { 'content-type': 'text/html' } })));
    const error = await failure(fetchStsPolicy('example.test', { resolver }));
    expect(error.message).toContain('content type is "text/html", not text/plain');
  });

  it('gives up at the deadline when the server never answers', async () => {
    server.use(http.get(URL, async () => {
      await delay(30_000);
      return new HttpResponse(BODY, { headers: { 'content-type': 'text/plain' } });
    }));
    const error = await failure(fetchStsPolicy('example.test', { resolver, timeoutMs: 300 }));
    expect(error.message).toBe(`Cannot fetch policy from "${URL}": no complete answer ` +
      'within 300 ms');
  });
});

describe('checkMtaSts with a fetched policy', () => {
  const records = (...values: string[][]) => fakeResolver({
    ...POLICY_HOST,
    '_mta-sts.example.test TXT': { records: values.map((v) => txt('_mta-sts.example.test', ...v)) },
  });

  it('joins the strings of one record and judges the MX hosts', async () => {
    server.use(http.get(URL, () => new HttpResponse(BODY,
      { headers: { 'content-type': 'text/plain' } })));
    const result = await checkMtaSts('example.test', {
      resolver: records(['v=STSv1; ', 'id=2024a;'], ['v=spf1 -all']),
      mx: ['mx1.example.test', 'mx.other.test'],
    });
    expect(result.record?.id).toBe('2024a');
    expect(result.mode).toBe('enforce');
    expect(result.verdict).toBe('mx-not-covered');
    expect(result.uncovered).toEqual(['mx.other.test']);
  });

  it('calls two v=STSv1 records an invalid record and fetches nothing', async () => {
    let fetched = false;
    server.use(http.get(URL, () => {
      fetched = true;
      return new HttpResponse(BODY, { headers: { 'content-type': 'text/plain' } });
    }));
    const result = await checkMtaSts('example.test', {
      resolver: records(['v=STSv1; id=1'], ['v=STSv1; id=2']), mx: ['mx1.example.test'],
    });
    expect(result.verdict).toBe('invalid-record');
    expect(result.detail).toContain('2 v=STSv1 records are published');
    expect(fetched).toBe(false);
  });

  it('reports no policy when there is no record, and a failed fetch as fetch-failed', async () => {
    const none = await checkMtaSts('example.test', { resolver: records(), mx: ['a.example.test'] });
    expect(none.verdict).toBe('no-policy');

    server.use(http.get(URL, () => new HttpResponse('nope', { status: 500,
      headers: { 'content-type': 'text/plain' } })));
    const failed = await checkMtaSts('example.test', {
      resolver: records(['v=STSv1; id=1']), mx: ['a.example.test'],
    });
    expect(failed.verdict).toBe('fetch-failed');
    expect(failed.error?.code).toBe('MXTLS_HTTP');
  });

  it('calls a SERVFAIL on the TXT lookup an error, not "no policy"', async () => {
    const result = await checkMtaSts('example.test', {
      resolver: fakeResolver({ ...POLICY_HOST, '_mta-sts.example.test TXT': { servfail: true } }),
      mx: ['a.example.test'],
    });
    expect(result.verdict).toBe('error');
    expect(result.error?.code).toBe('MXTLS_DNS_SERVFAIL');
  });
});
