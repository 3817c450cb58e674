import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { bufferIo } from '../../helpers/buffer-io.js';

const fixture = join(import.meta.dirname, '../../fixtures/received/issue-luxsci-proofpoint.eml');

describe('mxtls trace', () => {
  it('prints the path oldest first and exits 1 for the unencrypted hand-off', async () => {
    const { io, out } = bufferIo();
    const code = await main(['trace', fixture], io);
    const lines = out().split('\n');
    expect(code).toBe(1);
    expect(lines[0]).toBe(
      ' 1  BAY403-EAS373 → bay0-omc4-s14.bay0.outlook.com  not recorded (Microsoft SMTPSVC)',
    );
    expect(lines[1]).toBe(
      ' 2  bay0-omc4-s14.bay0.hotmail.com → dispatch1-us1.ppe-hosted.com.ppe-hosted.com  ' +
        'NOT ENCRYPTED (Proofpoint Essentials records TLS)  -1 s',
    );
    expect(out()).toContain(
      ' 3  dispatch1-us1.ppe-hosted.com → abc.luxsci.com  encrypted ' +
        '(SSL/TLS (version not stated), DHE-RSA-AES256-SHA, 256 bits)',
    );
    expect(out()).toContain('1 of 3 hand-offs between providers was not encrypted: hop 2 ');
  });

  it('prints the documented JSON with --json', async () => {
    const { io, out } = bufferIo();
    const code = await main(['trace', '--json', fixture], io);
    const result = JSON.parse(out()) as {
      schema: string;
      hops: { verdict: string }[];
      summary: { unencryptedHandoffs: number[] };
    };
    expect(code).toBe(1);
    expect(result.schema).toBe('mxtls.trace/1');
    expect(result.hops.map((h) => h.verdict)).toEqual([
      'not-recorded',
      'not-encrypted',
      'encrypted',
      'internal',
      'internal',
      'internal',
    ]);
    expect(result.summary.unencryptedHandoffs).toEqual([2]);
  });

  it('reads stdin with - and exits 0 when every hand-off is encrypted', async () => {
    const message = [
      'Received: from mail.example.org (mail.example.org [192.0.2.10])',
      '\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))',
      '\tby mx.example.com (Postfix) with ESMTPS id 4AbC; Mon, 9 Mar 2026 17:40:21 +0000',
      '',
      'body',
    ].join('\r\n');
    const { io, out } = bufferIo(message);
    const code = await main(['trace', '-'], io);
    expect(code).toBe(0);
    expect(out()).toContain('encrypted (TLS 1.3, TLS_AES_256_GCM_SHA384, 256 bits)');
  });

  it('exits 2 when the file cannot be read', async () => {
    const { io, err } = bufferIo();
    const code = await main(['trace', join(import.meta.dirname, 'no-such-file.eml')], io);
    expect(code).toBe(2);
    expect(err()).toContain('Cannot read message');
  });

  it('takes repeated --internal-net ranges before the message path', async () => {
    const lab = join(import.meta.dirname, '../../fixtures/received/loopback-lab-handoffs.eml');
    const { io, out } = bufferIo();
    const code = await main(
      ['trace', '--internal-net', '127.0.0.1/32', '--internal-net', '::1/128', lab],
      io,
    );
    expect(code).toBe(1);
    expect(out()).toContain(' 1  client.partner.test → mx.filter.test  NOT ENCRYPTED');
    const fallback = bufferIo();
    expect(await main(['trace', lab], fallback.io)).toBe(0);
    expect(fallback.out()).toContain('No hand-offs between providers were found');
  });

  it('exits 2 on an --internal-net value that is not a CIDR', async () => {
    const { io, err } = bufferIo();
    const code = await main(['trace', '--internal-net', '300.1.1.1/8', fixture], io);
    expect(code).toBe(2);
    expect(err()).toContain('Cannot use internal network "300.1.1.1/8"');
  });

  it('prints header text with control bytes escaped', async () => {
    const message =
      'Received: from a.example.org (a.example.org [192.0.2.9]) by evil\u001b[31m.example ' +
      'with ESMTP; Mon, 9 Mar 2026 17:40:21 +0000\n\n';
    const { io, out, err } = bufferIo(
      `${message.trimEnd()}\nReceived: from b.example.org ([192.0.2.8]) by c.example.com; ` +
        '99 Bad\u0007 Date\n\n',
    );
    await main(['trace', '-'], io);
    expect(out()).not.toContain('\u001b');
    expect(out()).toContain('\\x1b');
    expect(err()).toContain('Cannot parse the date');
    expect(err()).not.toContain('\u0007');
    expect(err()).toContain('\\x07');
  });
});

describe('bin/mxtls.js trace', () => {
  it('runs as a process: reads stdin with - and sets the exit code', () => {
    const bin = join(import.meta.dirname, '../../../bin/mxtls.js');
    const message = readFileSync(fixture);
    const result = spawnSync(process.execPath, [bin, 'trace', '--json', '-'], {
      input: message,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    const trace = JSON.parse(result.stdout) as { summary: { unencryptedHandoffs: number[] } };
    expect(trace.summary.unencryptedHandoffs).toEqual([2]);
  });
});
