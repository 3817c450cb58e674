/**
 * The SMTP dialog field cases: each in-process server plays what a real server did, and the
 * test pins what the prober must make of it.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { probeHost } from '../../../src/probe/host.js';
import type { HostProbeOptions } from '../../../src/probe/options.js';
import { makeCa, makeLeaf, type TestCa, type TestLeaf } from '../../helpers/certs.js';
import {
  esmtpScript,
  startSmtpServer,
  type RunningSmtpServer,
  type SmtpScript,
} from '../../helpers/smtp-server.js';

let ca: TestCa;
let leaf: TestLeaf;
let server: RunningSmtpServer | undefined;
const HELO = 'probe.example.net';

beforeAll(() => {
  ca = makeCa();
  leaf = makeLeaf(ca, { names: ['mx.example.com'] });
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function probe(script: SmtpScript, options: HostProbeOptions = {}) {
  server = await startSmtpServer(script);
  return probeHost(
    { host: 'mx.example.com', address: '127.0.0.1', family: 4, port: server.port },
    { ca: ca.certPem, helo: HELO, transcript: true, ...options },
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('C01: an early talker meets SMTP synchronisation', () => {
  it('sends nothing before the greeting and never pipelines EHLO or STARTTLS', async () => {
    const violations: string[] = [];
    const result = await probe(async (c) => {
      if (!(await c.quietFor(1500))) {
        c.send('554 SMTP synchronization error\r\n');
        violations.push('spoke before the greeting');
        return;
      }
      c.send('220 mx1.example.com ESMTP Exim 4.96\r\n');
      const ehlo = await c.readLine();
      if (ehlo !== `EHLO ${HELO}`) violations.push(`first command ${ehlo}`);
      const lines = ['250-mx1.example.com Hello', '250-SIZE 52428800', '250-PIPELINING',
        '250-STARTTLS', '250 HELP'];
      for (const line of lines) {
        const before = c.received.length;
        c.send(`${line}\r\n`);
        await sleep(200);
        if (c.received.length !== before && line !== '250 HELP') {
          violations.push(`command before "250 HELP": ${c.received.at(-1)}`);
          c.send('554 SMTP synchronization error\r\n');
          return;
        }
      }
      if ((await c.readLine()) !== 'STARTTLS') violations.push('no STARTTLS');
      c.send('220 TLS go ahead\r\n');
      await c.startTls({ key: leaf.keyPem, cert: leaf.chainPem });
      await esmtpScript({ greeting: '' })(c);
    });
    expect(violations).toEqual([]);
    expect(result.outcome).toBe('tls');
    expect(result.tls?.cipher.name).toBeTruthy();
    expect(result.tls?.certificate.summary).toBe('verified');
    expect(result.extensionsTls).toBeDefined();
    expect(result.detail).not.toContain('after TLS failed');
  });

  it('reports a 554 synchronization reply as a protocol error caused by the prober', async () => {
    const result = await probe(async (c) => {
      c.send('220 mx.example.com ESMTP\r\n');
      await c.readLine();
      c.send('554 SMTP synchronization error\r\n');
    });
    expect(result.outcome).toBe('protocol-error');
    expect(result.detail).toContain('protocol error caused by prober');
    expect(result.starttls).toBe('unknown');
  });
});

describe('C02: a multi-line greeting with a long pause before the final line', () => {
  it('waits for the bare final 220 and records the whole banner', async () => {
    let spokeEarly = false;
    const result = await probe(async (c) => {
      c.send('220-mx.example.com ESMTP\r\n');
      // The field case waits 15 s; 3 s keeps the behaviour and the suite's patience.
      if (!(await c.quietFor(3000))) {
        spokeEarly = true;
        c.send('521 5.5.1 Protocol error\r\n');
        return;
      }
      c.send('220-This system is monitored; abuse is not tolerated.\r\n');
      c.send('220\r\n');
      await esmtpScript({
        greeting: '',
        ehlo: '250-mx.example.com\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n',
        tls: { key: leaf.keyPem, cert: leaf.chainPem },
      })(c);
    });
    expect(spokeEarly).toBe(false);
    expect(result.greeting).toEqual({
      code: 220,
      lines: ['mx.example.com ESMTP', 'This system is monitored; abuse is not tolerated.', ''],
    });
    expect(result.outcome).toBe('tls');
    // Well below the 3 s the server held back, so a slow scheduler cannot fail it.
    expect(result.timings.greeting).toBeGreaterThanOrEqual(2000);
  });
});

describe('C04: STARTTLS on the last EHLO line', () => {
  it.each([
    ['250 STARTTLS last', '250-mx.example.com Hello\r\n250-PIPELINING\r\n250 STARTTLS\r\n', 'tls'],
    ['lower case', '250-mx.example.com\r\n250-starttls\r\n250 8BITMIME\r\n', 'tls'],
    ['trailing space', '250-mx.example.com\r\n250-STARTTLS \r\n250 8BITMIME\r\n', 'tls'],
    ['only in the greeting line', '250-mx.example.com STARTTLS-capable relay\r\n250 8BITMIME\r\n',
      'starttls-not-offered'],
  ])('%s', async (_name, ehlo, outcome) => {
    const tls = { key: leaf.keyPem, cert: leaf.chainPem };
    const result = await probe(esmtpScript({ ehlo, tls }));
    expect(result.outcome).toBe(outcome);
    expect(result.starttls).toBe(outcome === 'tls' ? 'offered' : 'not-offered');
    if (outcome !== 'tls') expect(server?.connections[0]?.received).not.toContain('STARTTLS');
  });
});

describe('C06: 421 is a temporary refusal, never "no STARTTLS"', () => {
  it.each([
    ['multi-line 421 greeting', '421-4.7.0 mx.example.com Error: too many connections from ' +
      '[192.0.2.10]\r\n421 4.7.0 Try again later\r\n', 'Try again later'],
    ['421 greeting, variant A', '421 #4.4.5 Too many connections from your host.\r\n',
      'Too many connections'],
  ])('%s', async (_name, greeting, text) => {
    const result = await probe(async (c) => {
      c.send(greeting);
    });
    expect(result.outcome).toBe('rate-limited');
    expect(result.temporary).toBe(true);
    expect(result.starttls).toBe('unknown');
    expect(result.detail).toContain(text);
    expect(result.detail).toContain('rate limit');
  });

  it('421 in place of the EHLO reply, variant B', async () => {
    const result = await probe(async (c) => {
      c.send('220 mx.example.com ESMTP\r\n');
      await c.readLine();
      c.send('421 4.7.0 mx.example.com Error: too many connections\r\n');
    });
    expect(result.outcome).toBe('rate-limited');
    expect(result.temporary).toBe(true);
    expect(result.starttls).toBe('unknown');
    expect(result.error?.replyCode).toBe(421);
  });

  it('a normal dialog after the limit lifts is TLS again', async () => {
    let count = 0;
    server = await startSmtpServer(async (c) => {
      count += 1;
      if (count === 1) {
        c.send('421 4.7.0 Try again later\r\n');
        return;
      }
      await esmtpScript({ tls: { key: leaf.keyPem, cert: leaf.chainPem } })(c);
    });
    const target = { host: 'mx.example.com', address: '127.0.0.1', family: 4 as const,
      port: server.port };
    const first = await probeHost(target, { ca: ca.certPem, helo: HELO });
    const second = await probeHost(target, { ca: ca.certPem, helo: HELO });
    expect([first.outcome, second.outcome]).toEqual(['rate-limited', 'tls']);
  });
});

describe('C08: EHLO rejected', () => {
  it('records "EHLO rejected", tries HELO once, and never starts TLS', async () => {
    const result = await probe(async (c) => {
      c.send('220 mx.example.com ESMTP Exim 4.96\r\n');
      for (let i = 0; i < 5; i += 1) {
        const line = await c.readLine();
        if (line === null) return;
        if (line.startsWith('EHLO')) c.send('501 Syntactically invalid EHLO argument(s)\r\n');
        else if (line.startsWith('HELO')) c.send('250 mx.example.com Hello\r\n');
        else if (line === 'STARTTLS') c.send('503 5.5.1 EHLO/HELO first\r\n');
        else if (line === 'QUIT') c.send('221 bye\r\n');
        else c.send('500 5.5.2 unrecognized command\r\n');
      }
    });
    expect(result.outcome).toBe('ehlo-rejected');
    expect(result.detail).toContain('EHLO rejected: 501 Syntactically invalid EHLO argument(s)');
    expect(result.starttls).toBe('unknown');
    expect(result.hello?.command).toBe('HELO');
    const received = server?.connections[0]?.received ?? [];
    expect(received.filter((line) => line.startsWith('HELO'))).toHaveLength(1);
    expect(received).not.toContain('STARTTLS');
  });

  it('uses a syntactically valid default EHLO argument', async () => {
    let argument = '';
    await probe(async (c) => {
      c.send('220 mx.example.com ESMTP\r\n');
      argument = (await c.readLine())?.replace(/^EHLO /, '') ?? '';
      c.send('250 mx.example.com\r\n');
      await c.readLine();
      c.send('221 bye\r\n');
    }, { helo: undefined });
    const fqdn = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
    expect(fqdn.test(argument) || argument === '[127.0.0.1]').toBe(true);
  });
});

describe('C09: strict order EHLO, STARTTLS, TLS, EHLO', () => {
  it('follows the order, accepts any 220 text and re-reads the extensions after TLS', async () => {
    const result = await probe(esmtpScript({
      greeting: '220 mx.example.com Microsoft ESMTP MAIL Service ready\r\n',
      ehlo: '250-mx.example.com Hello [192.0.2.10]\r\n250-SIZE 36700160\r\n250-PIPELINING\r\n' +
        '250-STARTTLS\r\n250-X-ANONYMOUSTLS\r\n250-AUTH NTLM\r\n250 CHUNKING\r\n',
      ehloTls: '250-mx.example.com Hello [192.0.2.10]\r\n250-SIZE 36700160\r\n' +
        '250-AUTH NTLM LOGIN\r\n250 REQUIRETLS\r\n',
      starttls: '220 2.0.0 SMTP server ready\r\n',
      tls: { key: leaf.keyPem, cert: leaf.chainPem },
    }));
    expect(server?.connections[0]?.received).toEqual([
      `EHLO ${HELO}`, 'STARTTLS', `EHLO ${HELO}`, 'QUIT',
    ]);
    expect(result.outcome).toBe('tls');
    expect(result.extensions?.STARTTLS).toEqual([]);
    expect(result.extensionsTls?.AUTH).toEqual(['NTLM', 'LOGIN']);
    expect(result.extensionsTls?.STARTTLS).toBeUndefined();
    expect(result.requireTls).toBe(true);
  });

  it('reports a 503 as a client sequencing error', async () => {
    const result = await probe(async (c) => {
      c.send('220 mx.example.com ESMTP\r\n');
      await c.readLine();
      c.send('503 5.5.2 Send hello first\r\n');
    });
    expect(result.outcome).toBe('protocol-error');
    expect(result.detail).toContain('client sequencing error');
  });
});

describe('C11: STARTTLS reply anomalies', () => {
  const ehlo = '250-mx.example.com\r\n250 STARTTLS\r\n';

  it('A: 220 then close is "starttls-dropped", not a certificate problem', async () => {
    const result = await probe(async (c) => {
      c.send('220 mx.example.com ESMTP\r\n');
      await c.readLine();
      c.send(ehlo);
      await c.readLine();
      c.send('220 2.0.0 Ready to start TLS.\r\n');
      c.close();
    });
    expect(result.outcome).toBe('starttls-dropped');
    expect(result.starttls).toBe('offered');
    expect(result.detail).toContain('peer closed after 220, no ServerHello');
    expect(result.tls).toBeUndefined();
  });

  it('B: 454 is a temporary refusal with the text kept', async () => {
    const result = await probe(esmtpScript({ ehlo }));
    expect(result.outcome).toBe('starttls-refused');
    expect(result.starttls).toBe('offered');
    expect(result.temporary).toBe(true);
    expect(result.detail).toContain('454 4.7.0 TLS not available');
    expect(result.starttlsReply?.code).toBe(454);
  });

  it('C: not advertised means STARTTLS is never sent', async () => {
    const result = await probe(esmtpScript({
      greeting: '220 relay.example.com ESMTP Postfix\r\n',
      ehlo: '250-relay.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-ETRN\r\n' +
        '250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 DSN\r\n',
    }));
    expect(result.outcome).toBe('starttls-not-offered');
    expect(result.starttls).toBe('not-offered');
    expect(result.temporary).toBe(false);
    expect(server?.connections[0]?.received).not.toContain('STARTTLS');
  });

  it('a 502 to an advertised STARTTLS is a permanent refusal', async () => {
    const result = await probe(async (c) => {
      c.send('220 mx.example.com ESMTP\r\n');
      await c.readLine();
      c.send(ehlo);
      await c.readLine();
      c.send('502 5.5.1 Error: command not implemented\r\n');
    });
    expect(result.outcome).toBe('starttls-refused');
    expect(result.temporary).toBe(false);
  });
});

describe('plaintext injected after the STARTTLS 220', () => {
  it('is thrown away, and the post-TLS EHLO reply is the one read', async () => {
    const result = await probe(async (c) => {
      c.send('220 mx.example.com ESMTP\r\n');
      await c.readLine();
      c.send('250-mx.example.com\r\n250 STARTTLS\r\n');
      await c.readLine();
      c.send('220 2.0.0 Ready\r\n250-injected.example\r\n250 AUTH INJECTED\r\n');
      await c.startTls({ key: leaf.keyPem, cert: leaf.chainPem });
      await c.readLine();
      c.send('250-mx.example.com\r\n250 SIZE 1000\r\n');
      await c.readLine();
      c.send('221 bye\r\n');
    });
    expect(result.outcome).toBe('tls');
    expect(result.extensionsTls).toEqual({ SIZE: ['1000'] });
    expect(result.transcript).toContain('(plaintext bytes after the STARTTLS 220 discarded)');
  });
});

describe('a banner sent as several one-line replies', () => {
  it('is read as one greeting, so the EHLO reply is the EHLO reply', async () => {
    const result = await probe(async (c) => {
      c.send('220 mx.example.com ESMTP\r\n220 Second banner line\r\n');
      await esmtpScript({ greeting: '' })(c);
    });
    expect(result.greeting?.lines).toEqual(['mx.example.com ESMTP', 'Second banner line']);
    expect(result.outcome).toBe('starttls-refused');
    expect(result.hello?.command).toBe('EHLO');
  });
});
