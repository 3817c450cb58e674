import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  addressLiteral,
  defaultEhloName,
  isValidEhloDomain,
  SmtpSession,
} from '../../../src/smtp/session.js';
import { makeCa, makeLeaf, type TestCa, type TestLeaf } from '../../helpers/certs.js';
import { esmtpScript, startSmtpServer, type RunningSmtpServer } from '../../helpers/smtp-server.js';

describe('EHLO argument', () => {
  it.each([
    ['probe.example.net', true],
    ['a.b', true],
    ['localhost', false],
    ['probe_host.example.net', false],
    ['-probe.example.net', false],
    ['probe.example.net.', false],
    ['', false],
  ])('%j is a valid EHLO domain: %s', (name, valid) => {
    expect(isValidEhloDomain(name)).toBe(valid);
  });

  it.each([
    ['192.0.2.10', '[192.0.2.10]'],
    ['::ffff:192.0.2.10', '[192.0.2.10]'],
    ['2001:db8::1', '[IPv6:2001:db8::1]'],
  ])('writes %s as the address literal %s', (address, literal) => {
    expect(addressLiteral(address)).toBe(literal);
  });

  it('is always either a valid domain or an address literal', () => {
    const name = defaultEhloName('192.0.2.10');
    expect(isValidEhloDomain(name) || name === '[192.0.2.10]').toBe(true);
  });
});

describe('SmtpSession', () => {
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

  it('runs greeting, EHLO and STARTTLS with a caller-chosen TLS profile', async () => {
    const tls = { key: leaf.keyPem, cert: leaf.chainPem };
    server = await startSmtpServer(esmtpScript({ tls }));
    const session = new SmtpSession(
      { host: 'mx.example.com', address: '127.0.0.1', family: 4, port: server.port },
      { helo: 'probe.example.net', ca: ca.certPem, transcript: true },
    );
    try {
      await session.connect();
      await session.readGreeting();
      await session.sendEhlo();
      const { reply, socket } = await session.startTls({ minVersion: 'TLSv1.2',
        maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
      expect(reply.code).toBe(220);
      expect(socket.getProtocol()).toBe('TLSv1.2');
      expect(socket.getCipher().name).toBe('ECDHE-ECDSA-AES128-GCM-SHA256');
      await session.sendEhlo();
      expect(session.extensionsTls).toBeDefined();
      await session.quit();
      expect(session.transcript).toContain('C: QUIT');
      expect(session.timings.handshake).toBeGreaterThanOrEqual(0);
    } finally {
      session.close();
    }
  });

  it('throws a reply error carrying the code when EHLO is refused', async () => {
    server = await startSmtpServer(async (c) => {
      c.send('220 mx.example.com ESMTP\r\n');
      await c.readLine();
      c.send('550 5.7.1 go away\r\n');
    });
    const session = new SmtpSession(
      { host: 'mx.example.com', address: '127.0.0.1', family: 4, port: server.port },
      { helo: 'probe.example.net' },
    );
    try {
      await session.connect();
      await session.readGreeting();
      await expect(session.sendEhlo()).rejects.toMatchObject({
        code: 'MXTLS_SMTP_REPLY', replyCode: 550, phase: 'ehlo', response: '5.7.1 go away',
      });
    } finally {
      session.close();
    }
  });
});
