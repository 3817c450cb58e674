import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { probeHost } from '../../../src/probe/host.js';
import { makeCa, makeLeaf, type TestCa, type TestLeaf } from '../../helpers/certs.js';
import { esmtpScript, startSmtpServer, type RunningSmtpServer } from '../../helpers/smtp-server.js';

let ca: TestCa;
let leaf: TestLeaf;
let server: RunningSmtpServer | undefined;

beforeAll(() => {
  ca = makeCa();
  leaf = makeLeaf(ca, { names: ['mx.example.com'] });
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('probeHost', () => {
  it('completes STARTTLS and records protocol, cipher and a verified certificate', async () => {
    server = await startSmtpServer(esmtpScript({ tls: { key: leaf.keyPem, cert: leaf.chainPem } }));
    const result = await probeHost(
      { host: 'MX.example.com.', address: '127.0.0.1', family: 4, port: server.port },
      { ca: ca.certPem, helo: 'probe.example.net', transcript: true },
    );
    expect(result.outcome).toBe('tls');
    expect(result.starttls).toBe('offered');
    expect(result.host).toBe('mx.example.com');
    expect(result.tls?.protocol).toBe('TLSv1.3');
    expect(result.tls?.certificate.summary).toBe('verified');
    expect(result.tls?.certificate.nameMatches).toBe(true);
    expect(result.tls?.chain[0]?.dnsNames).toEqual(['mx.example.com']);
    expect(result.tls?.chain[0]?.keyType).toBe('EC');
    expect(result.tls?.chain[0]?.curve).toBe('prime256v1');
    expect(result.tls?.keyExchange?.type).toBe('ECDH');
    expect(result.extensionsTls).toBeDefined();
    expect(server.connections[0]?.servername).toBe('mx.example.com');
    expect(server.connections[0]?.received).toEqual([
      'EHLO probe.example.net', 'STARTTLS', 'EHLO probe.example.net', 'QUIT',
    ]);
    expect(result.transcript?.[0]).toBe('S: 220 mx.example.com ESMTP');
    expect(result.timings.handshake).toBeGreaterThanOrEqual(0);
  });

  it('reports an untrusted chain without the CA file', async () => {
    server = await startSmtpServer(esmtpScript({ tls: { key: leaf.keyPem, cert: leaf.chainPem } }));
    const result = await probeHost(
      { host: 'mx.example.com', address: '127.0.0.1', family: 4, port: server.port },
      { helo: 'probe.example.net' },
    );
    expect(result.outcome).toBe('tls');
    expect(result.tls?.certificate.summary).toBe('untrusted');
    expect(result.tls?.certificate.chainVerified).toBe(false);
    expect(result.tls?.certificate.chainError).toMatch(/SELF_SIGNED|UNABLE_TO_GET_ISSUER/);
  });
});
