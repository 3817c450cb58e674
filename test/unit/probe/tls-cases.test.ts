/**
 * The TLS field cases and certificate verdicts, against in-process STARTTLS servers with real
 * handshakes and certificates from the test CA.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { probeHost } from '../../../src/probe/host.js';
import type { HostProbeOptions } from '../../../src/probe/options.js';
import {
  makeCa,
  makeDhParams,
  makeLeaf,
  opensslDate,
  type TestCa,
  type TestLeaf,
} from '../../helpers/certs.js';
import {
  esmtpScript,
  startSmtpServer,
  type EsmtpOptions,
  type RunningSmtpServer,
  type SmtpScript,
} from '../../helpers/smtp-server.js';

const DAY = 86_400_000;
let ca: TestCa;
let rsa: TestLeaf;
let dh1024: Buffer;
let server: RunningSmtpServer | undefined;

beforeAll(() => {
  ca = makeCa();
  rsa = makeLeaf(ca, { names: ['mx.example.com'], keyType: 'rsa2048', label: 'rsa' });
  dh1024 = readFileSync(makeDhParams(ca.dir, 1024));
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function probe(script: SmtpScript, options: HostProbeOptions = {}, host = 'mx.example.com') {
  server = await startSmtpServer(script);
  return probeHost(
    { host, address: '127.0.0.1', family: 4, port: server.port },
    { ca: ca.certPem, helo: 'probe.example.net', ...options },
  );
}

const tlsServer = (tls: EsmtpOptions['tls'], extra: EsmtpOptions = {}) =>
  esmtpScript({ ehlo: '250-mx.example.com\r\n250 STARTTLS\r\n', tls, ...extra });

describe('C12: a DHE-only TLS 1.2 server with a 1024-bit group', () => {
  const dheOnly = () => tlsServer({
    key: rsa.keyPem,
    cert: rsa.chainPem,
    maxVersion: 'TLSv1.2',
    ciphers: 'DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES256-SHA256:DHE-RSA-AES256-SHA',
    dhparam: dh1024,
  });

  it('fails the default handshake for the DH size, then measures with the legacy profile',
    async () => {
      const result = await probe(dheOnly());
      expect(result.outcome).toBe('tls');
      expect(result.tls?.legacyRetry).toBe(true);
      expect(result.tls?.defaultFailure).toContain('server DH 1024 bits below client minimum');
      expect(result.tls?.defaultFailure).toContain('ERR_SSL_DH_KEY_TOO_SMALL');
      expect(result.tls?.protocol).toBe('TLSv1.2');
      expect(result.tls?.cipher.name).toBe('DHE-RSA-AES256-GCM-SHA384');
      expect(result.tls?.keyExchange).toMatchObject({ type: 'DH', size: 1024 });
      expect(server?.connections).toHaveLength(2);
    });

  it('without the legacy retry, reports the DH reason as a handshake failure', async () => {
    const result = await probe(dheOnly(), { legacyRetry: false });
    expect(result.outcome).toBe('handshake-failed');
    expect(result.starttls).toBe('offered');
    expect(result.detail).toContain('server DH group below client minimum');
    expect(result.detail).toContain('ERR_SSL_DH_KEY_TOO_SMALL');
    expect(server?.connections).toHaveLength(1);
  });
});

describe('C14: a server that speaks only TLS 1.0', () => {
  it('records TLSv1 with AES128-SHA after the default profile fails on the version', async () => {
    const result = await probe(tlsServer({
      key: rsa.keyPem,
      cert: rsa.chainPem,
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1',
      ciphers: 'AES128-SHA:@SECLEVEL=0',
    }));
    expect(result.outcome).toBe('tls');
    expect(result.tls?.protocol).toBe('TLSv1');
    expect(result.tls?.cipher.name).toBe('AES128-SHA');
    expect(result.tls?.legacyRetry).toBe(true);
    expect(result.tls?.defaultFailure).toContain(
      'server max protocol TLSv1.0 below client minimum');
  });

  it('reports a server no local profile can talk to (e.g. RC4 only) as not measurable',
    async () => {
      // The local OpenSSL cannot serve RC4 either, so the server plays the part of one that
      // refuses every offered suite: a fatal handshake_failure alert to the ClientHello.
      const result = await probe(async (c) => {
        c.send('220 mx.example.com ESMTP\r\n');
        await c.readLine();
        c.send('250-mx.example.com\r\n250 STARTTLS\r\n');
        await c.readLine();
        c.send('220 Go ahead\r\n');
        await c.rawBytes();
        c.send(Buffer.from([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28]));
      });
      expect(result.outcome).toBe('handshake-failed');
      expect(result.starttls).toBe('offered');
      expect(result.detail).toContain('not measurable with local TLS library');
      expect(result.detail).toContain('handshake failure');
      expect(result.temporary).toBe(false);
    });
});

describe('a plaintext answer where TLS was expected (C08)', () => {
  it('is told as such, with the TLS library reason kept', async () => {
    const result = await probe(async (c) => {
      c.send('220 mx.example.com ESMTP\r\n');
      await c.readLine();
      c.send('250-mx.example.com\r\n250 STARTTLS\r\n');
      await c.readLine();
      c.send('220 Go ahead\r\n');
      await c.rawBytes();
      c.send('500 5.5.2 unrecognized command\r\n');
    }, { legacyRetry: false });
    expect(result.outcome).toBe('handshake-failed');
    expect(result.detail).toContain('peer sent plaintext where TLS was expected');
    expect(result.detail).toMatch(/wrong version number/i);
  });
});

describe('C16: SNI-dependent certificates and a trailing-dot MX name', () => {
  it('sends the normalised name as SNI and gets the matching certificate', async () => {
    const hoster = makeLeaf(ca, { names: ['*.hoster.example.net'], label: 'hoster' });
    const mx = makeLeaf(ca, { names: ['mx.example.com'], label: 'sni-mx' });
    const mxContext = createSecureContext({ key: mx.keyPem, cert: mx.chainPem });
    const result = await probe(tlsServer({
      key: hoster.keyPem,
      cert: hoster.chainPem,
      SNICallback: (name, done) => done(null, name === 'mx.example.com' ? mxContext : undefined),
    }), {}, 'MX.example.com.');
    expect(server?.connections[0]?.servername).toBe('mx.example.com');
    expect(result.outcome).toBe('tls');
    expect(result.tls?.chain[0]?.dnsNames).toEqual(['mx.example.com']);
    expect(result.tls?.certificate).toMatchObject({
      chainVerified: true,
      nameMatches: true,
      checkedName: 'mx.example.com',
      summary: 'verified',
    });
  });
});

describe('certificate verdicts', () => {
  it('reports a name mismatch as a finding, with the chain still verified', async () => {
    const other = makeLeaf(ca, { names: ['other.example.org'], label: 'other' });
    const result = await probe(tlsServer({ key: other.keyPem, cert: other.chainPem }));
    expect(result.outcome).toBe('tls');
    expect(result.tls?.certificate).toMatchObject({
      chainVerified: true,
      nameMatches: false,
      summary: 'name-mismatch',
    });
  });

  it('reports an expired certificate with negative days to expiry', async () => {
    const now = Date.now();
    const expired = makeLeaf(ca, {
      names: ['mx.example.com'],
      label: 'expired',
      startDate: opensslDate(new Date(now - 30 * DAY)),
      endDate: opensslDate(new Date(now - 10 * DAY)),
    });
    const result = await probe(tlsServer({ key: expired.keyPem, cert: expired.chainPem }));
    expect(result.tls?.certificate.expired).toBe(true);
    expect(result.tls?.certificate.summary).toBe('expired');
    expect(result.tls?.certificate.daysToExpiry).toBeLessThanOrEqual(-9);
    expect(result.tls?.certificate.daysToExpiry).toBeGreaterThanOrEqual(-11);
  });

  it('judges dates by the injected clock', async () => {
    const leaf = makeLeaf(ca, { names: ['mx.example.com'], label: 'clock' });
    const script = () => tlsServer({ key: leaf.keyPem, cert: leaf.chainPem });
    const later = await probe(script(), { now: () => Date.now() + 400 * DAY });
    expect(later.tls?.certificate.summary).toBe('expired');
    await server?.close();
    const earlier = await probe(script(), { now: () => Date.now() - 10 * DAY });
    expect(earlier.tls?.certificate.notYetValid).toBe(true);
    expect(earlier.tls?.certificate.summary).toBe('not-yet-valid');
    await server?.close();
    const inAMonth = await probe(script(), { now: () => Date.now() + 30 * DAY });
    expect(inAMonth.tls?.certificate.daysToExpiry).toBeGreaterThanOrEqual(333);
    expect(inAMonth.tls?.certificate.daysToExpiry).toBeLessThanOrEqual(335);
  });

  it('reports a chain from an unknown CA as untrusted', async () => {
    const stranger = makeCa('Stranger CA');
    const leaf = makeLeaf(stranger, { names: ['mx.example.com'] });
    const result = await probe(tlsServer({ key: leaf.keyPem, cert: leaf.chainPem }));
    expect(result.tls?.certificate.summary).toBe('untrusted');
    expect(result.tls?.certificate.nameMatches).toBe(true);
    expect(result.tls?.certificate.chainError).toBeTruthy();
  });

  it('summarises an RSA leaf and the chain with fingerprints, DER and SPKI', async () => {
    const result = await probe(tlsServer({ key: rsa.keyPem, cert: rsa.chainPem }));
    const [leaf, issuer] = result.tls?.chain ?? [];
    expect(leaf).toMatchObject({ keyType: 'RSA', keyBits: 2048 });
    expect(leaf?.subject).toContain('CN=mx.example.com');
    expect(leaf?.issuer).toContain('CN=mxtls Test CA');
    expect(leaf?.sha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(Buffer.from(leaf?.der ?? '', 'base64').length).toBeGreaterThan(500);
    expect(leaf?.spki).toBeTruthy();
    expect(issuer?.subject).toContain('CN=mxtls Test CA');
  });
});

describe('a server that closes in the middle of the handshake', () => {
  it('is not told as "no ServerHello"', async () => {
    const result = await probe(async (c) => {
      c.send('220 mx.example.com ESMTP\r\n');
      await c.readLine();
      c.send('250-mx.example.com\r\n250 STARTTLS\r\n');
      await c.readLine();
      c.send('220 Go ahead\r\n');
      await c.rawBytes();
      // The first bytes of a ServerHello record, then nothing.
      c.send(Buffer.from([0x16, 0x03, 0x03, 0x00, 0x32, 0x02, 0x00, 0x00, 0x2e]));
      await new Promise((resolve) => setTimeout(resolve, 50));
      c.close();
    }, { legacyRetry: false });
    expect(result.outcome).toBe('handshake-failed');
    expect(result.detail)
      .toContain('peer closed the connection during the handshake after 9 bytes');
  });
});
