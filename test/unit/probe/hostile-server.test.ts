/**
 * Servers that try to make the prober wait or grow without end. Every one must end in a
 * bounded error with a named outcome, well inside the test's patience.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { probeHost } from '../../../src/probe/host.js';
import type { HostProbeOptions } from '../../../src/probe/options.js';
import {
  startSmtpServer,
  type RunningSmtpServer,
  type SmtpScript,
} from '../../helpers/smtp-server.js';

let server: RunningSmtpServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function probe(script: SmtpScript, options: HostProbeOptions = {}) {
  server = await startSmtpServer(script);
  return probeHost(
    { host: 'mx.example.com', address: '127.0.0.1', family: 4, port: server.port },
    { helo: 'probe.example.net', ...options },
  );
}

describe('hostile servers', () => {
  it('stops reading an endless line at the line limit', async () => {
    let sent = 0;
    const result = await probe(async (c) => {
      c.send('220 ');
      for (let i = 0; i < 2000 && !c.closed; i += 1) {
        c.send('x'.repeat(1024));
        sent += 1024;
        await sleep(1);
      }
    });
    expect(result.outcome).toBe('protocol-error');
    expect(result.detail).toContain('line longer than 2048 bytes');
    expect(sent).toBeLessThan(2000 * 1024);
  });

  it('stops reading an endless multi-line reply at the line count limit', async () => {
    const result = await probe(async (c) => {
      c.send('220 mx.example.com ESMTP\r\n');
      await c.readLine();
      for (let i = 0; i < 5000 && !c.closed; i += 1) {
        c.send('250-again and again\r\n');
        if (i % 50 === 0) await sleep(1);
      }
    });
    expect(result.outcome).toBe('protocol-error');
    expect(result.detail).toContain('longer than 100 lines');
    expect(result.starttls).toBe('unknown');
  });

  it('gives up on a slowloris greeting when the greeting timeout ends', async () => {
    const started = Date.now();
    const result = await probe(async (c) => {
      for (let i = 0; i < 400 && !c.closed; i += 1) {
        c.send(i === 0 ? '220-' : 'x');
        await sleep(20);
      }
    }, { timeouts: { greeting: 1000 } });
    expect(result.outcome).toBe('timeout');
    expect(result.temporary).toBe(true);
    expect(result.detail).toContain('greeting');
    expect(result.error?.code).toBe('MXTLS_SMTP_TIMEOUT');
    // Bounded by the greeting timeout, not by the server's 8 s of drip-feeding.
    expect(Date.now() - started).toBeLessThan(6000);
  });

  it('names the stage of a command timeout', async () => {
    const result = await probe(async (c) => {
      c.send('220 mx.example.com ESMTP\r\n');
      await c.readLine();
      await sleep(1500);
    }, { timeouts: { command: 300 } });
    expect(result.outcome).toBe('timeout');
    expect(result.detail).toBe('timed out waiting for the EHLO reply');
  });

  it('reports a refused greeting with its text, temporary for 4xx', async () => {
    const result = await probe(async (c) => {
      c.send('554 5.7.1 mx.example.com no SMTP service here\r\n');
    });
    expect(result.outcome).toBe('greeting-refused');
    expect(result.temporary).toBe(false);
    expect(result.detail).toContain('no SMTP service here');
  });

  it('reports a server that is not SMTP at all as a protocol error', async () => {
    const result = await probe(async (c) => {
      c.send('SSH-2.0-OpenSSH_9.2\r\n');
    });
    expect(result.outcome).toBe('protocol-error');
    expect(result.detail).toContain('malformed reply line');
  });

  it('reports a close before the greeting as a temporary connection failure', async () => {
    const result = await probe(async (c) => {
      c.close();
    });
    expect(result.outcome).toBe('connect-failed');
    expect(result.temporary).toBe(true);
    expect(result.detail).toContain('greeting');
  });
});

describe('connection failures', () => {
  it('reports a refused connection', async () => {
    const closed = await startSmtpServer(async () => undefined);
    const port = closed.port;
    await closed.close();
    const result = await probeHost(
      { host: 'mx.example.com', address: '127.0.0.1', family: 4, port },
      { helo: 'probe.example.net' },
    );
    expect(result.outcome).toBe('connect-failed');
    expect(result.detail).toContain('ECONNREFUSED');
    expect(result.temporary).toBe(true);
  });
});

describe('aborting', () => {
  it('ends a probe stuck on a silent server as soon as the signal aborts', async () => {
    server = await startSmtpServer(async (c) => {
      await c.quietFor(5000);
    });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 200);
    const result = await probeHost(
      { host: 'mx.example.com', address: '127.0.0.1', family: 4, port: server.port },
      { helo: 'probe.example.net', signal: controller.signal },
    );
    expect(result.outcome).toBe('timeout');
    expect(result.detail).toBe('probe aborted during greeting');
    expect(result.temporary).toBe(true);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('shares one abort listener among many sessions (no leak warning)', async () => {
    server = await startSmtpServer(async (c) => {
      c.send('220 mx.example.com ESMTP\r\n');
      await c.readLine();
      c.send('250 mx.example.com\r\n');
      await c.readLine();
      c.send('221 bye\r\n');
    });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    const signal = new AbortController().signal;
    try {
      const results = await Promise.all(Array.from({ length: 20 }, () => probeHost(
        { host: 'mx.example.com', address: '127.0.0.1', family: 4, port: server!.port },
        { helo: 'probe.example.net', signal },
      )));
      expect(results.map((r) => r.outcome)).toEqual(Array(20).fill('starttls-not-offered'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('an address family without a route', () => {
  // A fresh network namespace (unshare -n) has no interface up, so the connect fails on this
  // machine without a packet leaving it. The built dist/ is used because the child is plain
  // Node; the suite's global setup builds it.
  const script = [
    "const { probeHost } = await import(process.argv[1]);",
    "const r = await probeHost({ host: 'mx.example.com', address: '2001:db8::25', family: 6,",
    "  port: 25 }, { helo: 'probe.example.net', timeouts: { connect: 2000 } });",
    'console.log(JSON.stringify(r));',
  ].join('\n');
  const hostModule = new URL('../../../dist/probe/host.js', import.meta.url).pathname;
  const probe = spawnSync('unshare', ['-n', 'node', '--input-type=module', '-e', script,
    hostModule], { encoding: 'utf8', timeout: 20_000 });
  const runnable = probe.status === 0;

  it.runIf(runnable)('reports "this host has no IPv6 route" as a temporary no-route', () => {
    const result = JSON.parse(probe.stdout.trim()) as { outcome: string; detail: string;
      temporary: boolean };
    expect(result.outcome).toBe('no-route');
    expect(result.detail).toMatch(/^this host has no IPv6 route \((ENETUNREACH|EADDRNOTAVAIL)\)$/);
    expect(result.temporary).toBe(true);
  });
});
