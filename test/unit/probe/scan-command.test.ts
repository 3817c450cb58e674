/**
 * `mxtls scan` run through main() with buffers for stdout and stderr, against the test DNS
 * server and in-process SMTP servers on 127.0.2.x.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import type { CliIo } from '../../../src/cli/io.js';
import { makeCa, makeLeaf } from '../../helpers/certs.js';
import { startDnsServer, type TestDnsServer } from '../../helpers/dns-server.js';
import { esmtpScript, startSmtpServer, type RunningSmtpServer } from '../../helpers/smtp-server.js';

class Buffered extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function bufferIo(): CliIo & { stdout: Buffered; stderr: Buffered } {
  return { stdout: new Buffered(), stderr: new Buffered(), stdin: new PassThrough(),
    signal: new AbortController().signal };
}

let dns: TestDnsServer;
let caFile: string;
let port: number;
const servers: RunningSmtpServer[] = [];

beforeAll(async () => {
  const ca = makeCa();
  caFile = ca.certFile;
  const leaf = makeLeaf(ca, { names: ['mx.good.test', 'mx.plain.test'] });
  const tls = { key: leaf.keyPem, cert: leaf.chainPem };
  const first = await startSmtpServer(esmtpScript({ tls }), { address: '127.0.2.11' });
  port = first.port;
  servers.push(first);
  servers.push(await startSmtpServer(esmtpScript({ ehlo: '250-mx\r\n250 SIZE 1000\r\n' }),
    { address: '127.0.2.12', port }));
  dns = await startDnsServer({
    zone: {
      'good.test': { MX: [{ preference: 10, exchange: 'mx.good.test' }] },
      'mx.good.test': { A: ['127.0.2.11'] },
      'plain.test': { MX: [{ preference: 5, exchange: 'mx.plain.test' }] },
      'mx.plain.test': { A: ['127.0.2.12'] },
      'nomail.test': { MX: [{ preference: 0, exchange: '.' }] },
    },
  });
  writeFileSync(join(ca.dir, 'not-a-ca.txt'), 'hello\n');
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await dns?.close();
});

const common = () => ['--resolver', dns.address, '--port', String(port), '--ca-file', caFile,
  '--helo', 'probe.example.net', '--timeout-connect', '2000'];

describe('mxtls scan', () => {
  it('prints one row per MX address and exits 0 when all is verified or no mail', async () => {
    const io = bufferIo();
    const code = await main(['scan', 'good.test', 'nomail.test', ...common()], io);
    const lines = io.stdout.text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^DOMAIN\s+PREF\s+HOST\s+ADDRESS\s+STARTTLS\s+PROTOCOL\s+CIPHER/);
    expect(lines[1]).toMatch(/^good\.test\s+10\s+mx\.good\.test\s+127\.0\.2\.11\s+yes\s+TLSv1\.3/);
    // The MTA-STS and DANE cells follow the expiry.
    expect(lines[1]).toMatch(/verified\s+\d+\s+\S+\s+\S+$/);
    expect(lines[2]).toMatch(/^nomail\.test\s+-\s+-\s+-\s+null MX/);
    expect(lines).toHaveLength(3);
    expect(code).toBe(0);
  });

  it('exits 1 and explains on stderr when a domain lacks TLS', async () => {
    const io = bufferIo();
    const code = await main(['scan', 'plain.test', ...common()], io);
    expect(code).toBe(1);
    expect(io.stdout.text).toMatch(/plain\.test\s+5\s+mx\.plain\.test\s+127\.0\.2\.12\s+no\s/);
    expect(io.stderr.text).toContain('plain.test: no-tls: No address offers TLS');
  });

  it('writes one JSON result per line with --json', async () => {
    const io = bufferIo();
    const code = await main(['scan', 'good.test', 'nx.test', '--json', ...common()], io);
    const results = io.stdout.text.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(results.map((r) => [r.domain, r.verdict])).toEqual([
      ['good.test', 'verified-tls'], ['nx.test', 'not-found'],
    ]);
    expect(results[0].schema).toBe('mxtls.scan/1');
    expect(code).toBe(1);
  });

  it('writes the transcript to stderr, never to stdout', async () => {
    const io = bufferIo();
    await main(['scan', 'good.test', '--transcript', ...common()], io);
    expect(io.stderr.text).toContain('mx.good.test[127.0.2.11] C: EHLO probe.example.net');
    expect(io.stderr.text).toContain('mx.good.test[127.0.2.11] C: STARTTLS');
    expect(io.stdout.text).not.toContain('C: ');
  });

  it.each([
    ['no domain', ['scan']],
    ['a bad domain', ['scan', 'not a domain']],
    ['a bad port', ['scan', 'good.test', '--port', '70000']],
    ['a bad resolver', ['scan', 'good.test', '--resolver', 'dns.example']],
    ['a missing CA file', ['scan', 'good.test', '--ca-file', '/nonexistent/ca.pem']],
  ])('exits 2 for %s', async (_name, args) => {
    const io = bufferIo();
    const extra = args.includes('--resolver') ? [] : ['--resolver', dns.address];
    expect(await main([...args, ...extra], io)).toBe(2);
    expect(io.stderr.text).toMatch(/^mxtls: Cannot/m);
    expect(io.stdout.text).toBe('');
  });
});
