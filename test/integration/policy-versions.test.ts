import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enumerateVersions, localCanOffer } from '../../src/policy/versions.js';
import { makeCa, makeLeaf, type TestCa } from '../helpers/certs.js';
import { esmtpScript, startSmtpServer, type RunningSmtpServer } from '../helpers/smtp-server.js';
import { startPostfix, type PostfixInstance } from '../lab/postfix.js';
import { requirePostfix } from '../lab/require.js';

// `--versions` against two real servers: Postfix limited to TLS 1.2, and a Node TLS server
// that also accepts TLS 1.0 (security level 0, as OpenSSL 3 needs for it).
const withPostfix = requirePostfix();
if (!withPostfix) console.warn('Skipping the Postfix half of the versions suite: no postfix');

const TIMEOUTS = { connect: 3000, greeting: 10_000, command: 5000, handshake: 5000 };

let ca: TestCa;
let legacy: RunningSmtpServer;
let postfix: PostfixInstance | undefined;

beforeAll(async () => {
  ca = makeCa('mxtls versions CA');
  const leaf = makeLeaf(ca, { names: ['mx.versions.test'], keyType: 'rsa2048' });
  legacy = await startSmtpServer(esmtpScript({ tls: { key: leaf.keyPem, cert: leaf.chainPem,
    minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' } }), { address: '127.0.40.31' });
  if (withPostfix) {
    postfix = await startPostfix({ addresses: ['127.0.40.30'], hostname: 'mx.versions.test',
      tls: { chainFile: leaf.chainFile, keyFile: leaf.keyFile, minProtocol: 'TLSv1.2',
        maxProtocol: 'TLSv1.2' } });
  }
});

afterAll(async () => {
  await Promise.all([legacy?.close(), postfix?.stop()]);
});

describe('enumerateVersions', () => {
  it('finds that this machine can offer all four versions at security level 0', async () => {
    for (const version of ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const) {
      expect(await localCanOffer(version)).toBeUndefined();
    }
  });

  it.skipIf(!withPostfix)('reports a TLS 1.2-only Postfix as accepting 1.2 alone', async () => {
    const result = await enumerateVersions({ host: 'mx.versions.test', address: '127.0.40.30',
      family: 4, port: 25 }, { ca: ca.certPem, helo: 'client.mxtls.test', timeouts: TIMEOUTS });
    expect(result.accepted).toEqual(['TLSv1.2']);
    expect(result.attempts.map((a) => [a.version, a.outcome])).toEqual([
      ['TLSv1', 'refused'], ['TLSv1.1', 'refused'], ['TLSv1.2', 'accepted'],
      ['TLSv1.3', 'refused']]);
    const tls12 = result.attempts[2];
    expect(tls12?.cipher?.name).toMatch(/^ECDHE-/);
    expect(tls12?.flags).toEqual([]);
    expect(result.flags).not.toContain('legacy-version');
  });

  it('reports a server that also accepts TLS 1.0 and flags it as legacy', async () => {
    const result = await enumerateVersions({ host: 'mx.versions.test', address: '127.0.40.31',
      family: 4, port: legacy.port }, { ca: ca.certPem, helo: 'client.mxtls.test',
      timeouts: TIMEOUTS });
    expect(result.accepted).toEqual(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);
    const tls10 = result.attempts[0];
    expect(tls10?.cipher?.name).toBeTruthy();
    expect(tls10?.flags).toContain('legacy-version');
    expect(result.flags).toContain('legacy-version');
    expect(result.attempts[3]?.flags).toEqual([]);
  });

  it('calls what the local library cannot offer not testable, and does not connect', async () => {
    const before = legacy.connections.length;
    const result = await enumerateVersions({ host: 'mx.versions.test', address: '127.0.40.31',
      family: 4, port: legacy.port }, { ca: ca.certPem, versions: ['TLSv1'],
      canOffer: async () => 'pretend this OpenSSL was built without TLS 1.0' });
    expect(result.attempts).toEqual([{ version: 'TLSv1', outcome: 'not-testable', flags: [],
      detail: 'Not testable here: pretend this OpenSSL was built without TLS 1.0' }]);
    expect(result.accepted).toEqual([]);
    expect(legacy.connections.length).toBe(before);
  });
});
