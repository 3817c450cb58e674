/**
 * `mxtls compare` end to end: real Postfix instances on loopback relay real messages (a
 * partner's outbound, an optional filter, the recipient's inbound), the message is taken as it
 * was delivered, and compare probes the receivers through the test DNS server. No header here
 * is written by hand.
 *
 *   out.partner-a.test 127.0.50.1  sends without TLS (smtp_tls_security_level = none) to the
 *                                  filter; its own smtpd offers STARTTLS (its inbound MX)
 *   out.partner-b.test 127.0.50.2  sends with TLS (may) straight to the recipient
 *   out.partner-c.test 127.0.50.3  sends with TLS (may) to a receiver without STARTTLS
 *   out.partner-d.test 127.0.50.4  sends with TLS (may) to the receiver that hides TLS
 *   mx.filter.test     127.0.51.1  offers STARTTLS, relays on with TLS (may)
 *   mx.recipient.test  127.0.52.1  offers STARTTLS, smtpd_tls_received_header = yes
 *   mx.plain.test      127.0.53.1  no STARTTLS
 *   mx.hidden.test     127.0.54.1  offers STARTTLS, but rewrites its Received field (below)
 *
 * The "receiver's header does not record TLS" case: Postfix always writes ESMTPS after TLS,
 * even with smtpd_tls_received_header = no, so a Postfix field is never silent about TLS. To
 * get a real receiver whose field is silent, mx.hidden.test runs a header_checks REPLACE rule
 * (Postfix 3.7, regexp table) that rewrites its own Received field the way an MTA without a
 * TLS form writes it: `by mx.hidden.test (LabMTA) with SMTP`, the `(using …)` comment dropped.
 * The recorder table does not know "LabMTA", so its silence proves nothing; and the message
 * really did travel over TLS (its maillog says so), which is why "cannot tell" is the only
 * honest answer there.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CompareResult } from '../../src/compare/types.js';
import { makeCa, makeLeaf } from '../helpers/certs.js';
import { startDnsServer, type TestDnsServer, type Zone } from '../helpers/dns-server.js';
import { waitForDelivery } from '../lab/maildir.js';
import { startPostfix, type PostfixInstance } from '../lab/postfix.js';
import { requirePostfix } from '../lab/require.js';
import { submitMessage } from '../lab/smtp-submit.js';
import { pollUntil } from '../lab/wait.js';
import { bufferIo } from '../helpers/buffer-io.js';

const HOSTS = {
  partnerA: { name: 'out.partner-a.test', address: '127.0.50.1' },
  partnerB: { name: 'out.partner-b.test', address: '127.0.50.2' },
  partnerC: { name: 'out.partner-c.test', address: '127.0.50.3' },
  partnerD: { name: 'out.partner-d.test', address: '127.0.50.4' },
  filter: { name: 'mx.filter.test', address: '127.0.51.1' },
  recipient: { name: 'mx.recipient.test', address: '127.0.52.1' },
  plain: { name: 'mx.plain.test', address: '127.0.53.1' },
  hidden: { name: 'mx.hidden.test', address: '127.0.54.1' },
} as const;

const ZONE: Zone = {
  'partner-a.test': { MX: [{ preference: 10, exchange: HOSTS.partnerA.name }] },
  'partner-b.test': { MX: [{ preference: 10, exchange: HOSTS.partnerB.name }] },
  'partner-c.test': { MX: [{ preference: 10, exchange: HOSTS.partnerC.name }] },
  'partner-d.test': { MX: [{ preference: 10, exchange: HOSTS.partnerD.name }] },
  'filter.test': { MX: [{ preference: 10, exchange: HOSTS.filter.name }] },
  // The recipient's mail goes through the filter first, as with a filtering service.
  'recipient.test': { MX: [{ preference: 10, exchange: HOSTS.filter.name }] },
  'plain.test': { MX: [{ preference: 10, exchange: HOSTS.plain.name }] },
  'hidden.test': { MX: [{ preference: 10, exchange: HOSTS.hidden.name }] },
  ...Object.fromEntries(Object.values(HOSTS).map((h) => [h.name, { A: [h.address] }])),
};

// Rewrites mx.hidden.test's own Received field into the form of an MTA without a TLS form.
// Without the `m` flag, `.` in a Postfix regexp table also matches the folded line breaks.
const HIDE_TLS_RULE =
  '/^Received: from ([^ ]+) \\(unknown \\[([0-9.]+)\\]\\).*by ([^ ]+) \\(Postfix\\) ' +
  'with [A-Z]+ id ([0-9A-Za-z]+)(.*)$/ REPLACE Received: from $1 ([$2]) by $3 (LabMTA) ' +
  'with SMTP id $4$5\n';

describe.skipIf(!requirePostfix())('mxtls compare on messages real Postfix delivered', () => {
  const instances: PostfixInstance[] = [];
  const ca = makeCa('mxtls Compare Lab CA');
  const scratch = mkdtempSync(join(tmpdir(), 'mxtls-compare-e2e-'));
  let dns: TestDnsServer;
  let servers: Record<keyof typeof HOSTS, PostfixInstance>;

  const serverTls = (name: string): { chainFile: string; keyFile: string } => {
    const leaf = makeLeaf(ca, { names: [name] });
    return { chainFile: leaf.chainFile, keyFile: leaf.keyFile };
  };
  const start = async (options: Parameters<typeof startPostfix>[0]): Promise<PostfixInstance> => {
    const instance = await startPostfix(options);
    instances.push(instance);
    return instance;
  };

  beforeAll(async () => {
    dns = await startDnsServer({ zone: ZONE });
    const headerChecks = join(scratch, 'hide-tls.regexp');
    writeFileSync(headerChecks, HIDE_TLS_RULE);
    const recipient = await start({
      addresses: [HOSTS.recipient.address], hostname: HOSTS.recipient.name,
      tls: serverTls(HOSTS.recipient.name), mailboxDomains: ['recipient.test'],
    });
    const plain = await start({
      addresses: [HOSTS.plain.address], hostname: HOSTS.plain.name,
      mailboxDomains: ['plain.test'],
    });
    const hidden = await start({
      addresses: [HOSTS.hidden.address], hostname: HOSTS.hidden.name,
      tls: serverTls(HOSTS.hidden.name), mailboxDomains: ['hidden.test'],
      extra: { header_checks: `regexp:${headerChecks}` },
    });
    const filter = await start({
      addresses: [HOSTS.filter.address], hostname: HOSTS.filter.name,
      tls: serverTls(HOSTS.filter.name),
      relay: { nexthop: HOSTS.recipient.address, tlsLevel: 'may', caFile: ca.certFile },
    });
    const partnerA = await start({
      addresses: [HOSTS.partnerA.address], hostname: HOSTS.partnerA.name,
      // Its inbound side offers TLS; its outbound side has TLS switched off.
      tls: serverTls(HOSTS.partnerA.name),
      relay: { nexthop: HOSTS.filter.address, tlsLevel: 'none' },
    });
    const partnerB = await start({
      addresses: [HOSTS.partnerB.address], hostname: HOSTS.partnerB.name,
      relay: { nexthop: HOSTS.recipient.address, tlsLevel: 'may', caFile: ca.certFile },
    });
    const partnerC = await start({
      addresses: [HOSTS.partnerC.address], hostname: HOSTS.partnerC.name,
      relay: { nexthop: HOSTS.plain.address, tlsLevel: 'may', caFile: ca.certFile },
    });
    const partnerD = await start({
      addresses: [HOSTS.partnerD.address], hostname: HOSTS.partnerD.name,
      relay: { nexthop: HOSTS.hidden.address, tlsLevel: 'may', caFile: ca.certFile },
    });
    servers = { partnerA, partnerB, partnerC, partnerD, filter, recipient, plain, hidden };
  });

  afterAll(async () => {
    for (const instance of instances.reverse()) await instance.stop();
    await dns?.close();
  });

  /** Submits a message to a partner's outbound and returns the file as it was delivered. */
  async function relay(partner: PostfixInstance, from: string, to: string,
    inbox: PostfixInstance): Promise<string> {
    await submitMessage(partner.addresses[0] as string, {
      from,
      to: [to],
      message: `From: ${from}\nTo: ${to}\nSubject: compare lab\n\nhello from ${from}\n`,
    });
    const [delivered] = await waitForDelivery(inbox.inboxDir, { recipient: to });
    const file = join(scratch, `${to.replace(/[^a-z0-9]/gi, '_')}.eml`);
    writeFileSync(file, delivered?.text ?? '');
    return file;
  }

  /** Runs `mxtls compare` with the lab's DNS and CA; returns the exit code, JSON and text. */
  async function compare(domain: string, file: string): Promise<{ code: number;
    result: CompareResult; text: string }> {
    const common = ['--resolver', dns.address, '--ca-file', ca.certFile, '--helo',
      'probe.mxtls.test', '--internal-net', '127.0.0.1/32', '--timeout-connect', '5000',
      '--timeout-greeting', '15000', '--timeout-command', '15000', '--timeout-handshake',
      '15000'];
    const json = bufferIo();
    const code = await main(['compare', '--json', ...common, domain, file], json.io);
    const text = bufferIo();
    const textCode = await main(['compare', ...common, domain, file], text.io);
    expect(textCode).toBe(code);
    const report = process.env.MXTLS_COMPARE_REPORT_DIR;
    if (report) writeFileSync(join(report, `${domain}.txt`), text.out());
    return { code, result: JSON.parse(json.out()) as CompareResult, text: text.out() };
  }

  it('finds that the partner did not use TLS toward a filter that offers it', async () => {
    const file = await relay(servers.partnerA, 'bob@partner-a.test', 'alice@recipient.test',
      servers.recipient);
    const { code, result, text } = await compare('partner-a.test', file);

    expect(code).toBe(1);
    const [outbound, onward] = result.hops;
    expect(result.hops).toHaveLength(2);
    expect(outbound?.role).toBe('partner-outbound');
    expect(outbound?.from).toBe(HOSTS.partnerA.name);
    expect(outbound?.to).toBe(HOSTS.filter.name);
    expect(outbound?.header.clause).toMatch(/^by mx\.filter\.test \(Postfix\) with ESMTP$/);
    expect(outbound?.receiver?.state).toBe('offers-tls');
    expect(outbound?.receiver?.foundBy).toBe('by-clause');
    expect(outbound?.receiver?.addresses).toEqual([HOSTS.filter.address]);
    expect(outbound?.receiver?.certificate).toBe('verified');
    expect(outbound?.conclusion).toBe('sender-did-not-use-tls');
    expect(result.partner.mx.state).toBe('offers-tls');
    expect(outbound?.note?.kind).toBe('partner-outbound-configuration');
    // The filter relayed on over TLS, and the recipient wrote it down.
    expect(onward?.role).toBe('recipient-inbound');
    expect(onward?.conclusion).toBe('encrypted');
    expect(onward?.header.protocol).toMatch(/^TLS 1\.[23]$/);
    expect(result.summary.unencryptedHops).toEqual([outbound?.hop]);
    expect(text).toMatch(/conclusion: SENDER DID NOT USE TLS: mx\.filter\.test offers STARTTLS/);
    expect(text).toMatch(/probes: {3}made now, \d{4}-\d\d-\d\d /);
  });

  it('finds every hand-off encrypted when both sides use TLS', async () => {
    const file = await relay(servers.partnerB, 'bob@partner-b.test', 'bob@recipient.test',
      servers.recipient);
    const { code, result } = await compare('partner-b.test', file);

    expect(code).toBe(0);
    expect(result.hops).toHaveLength(1);
    const [hop] = result.hops;
    expect(hop?.role).toBe('partner-outbound');
    expect(hop?.conclusion).toBe('encrypted');
    expect(hop?.header.clause).toMatch(/by mx\.recipient\.test \(Postfix\) with ESMTPS$/);
    expect(hop?.header.markers.join(' ')).toMatch(/using TLSv1\.[23] with cipher/);
    // Nothing to explain, so the receiver is not probed; the partner's MX still is.
    expect(hop?.receiver).toBeNull();
    expect(result.partner.mx.state).toBe('no-starttls');
  });

  it('finds that the receiver lacked TLS when it offers no STARTTLS', async () => {
    const file = await relay(servers.partnerC, 'bob@partner-c.test', 'carol@plain.test',
      servers.plain);
    const { code, result } = await compare('partner-c.test', file);

    expect(code).toBe(1);
    const [hop] = result.hops;
    expect(hop?.header.verdict).toBe('not-encrypted');
    expect(hop?.receiver?.state).toBe('no-starttls');
    expect(hop?.receiver?.detail).toMatch(/127\.0\.53\.1:25 starttls-not-offered/);
    expect(hop?.conclusion).toBe('receiver-lacked-tls');
    expect(hop?.note).toBeNull();
    // The partner's client would have used TLS (level may): its log shows it tried plain.
    expect(servers.partnerC.readLog()).toMatch(/to=<carol@plain\.test>.*status=sent/);
  });

  it('cannot tell when the receiver writes a field that does not record TLS', async () => {
    const file = await relay(servers.partnerD, 'bob@partner-d.test', 'dave@hidden.test',
      servers.hidden);
    const { code, result, text } = await compare('partner-d.test', file);

    const [hop] = result.hops;
    expect(hop?.header.clause).toMatch(/^by mx\.hidden\.test \(LabMTA\) with SMTP$/);
    expect(hop?.header.verdict).toBe('not-recorded');
    expect(hop?.header.recordsTls).toBe('unknown');
    expect(hop?.receiver?.state).toBe('offers-tls');
    expect(hop?.conclusion).toBe('cannot-tell');
    expect(hop?.reason).toMatch(/may not record TLS/);
    expect(result.summary.cannotTellHops).toEqual([hop?.hop]);
    expect(code).toBe(0);
    expect(text).toMatch(/conclusion: cannot tell: /);
    // The hop did use TLS: a "sender did not use TLS" here would have been wrong.
    await pollUntil('see the TLS session in the hidden receiver\'s log', () =>
      /TLS connection established from \S+\[127\.0\.50\.4\]/.test(servers.hidden.readLog())
        ? true : undefined, { timeoutMs: 10_000, intervalMs: 100 });
  });

  it('probes each receiver through the test DNS server only', () => {
    const names = new Set(dns.queries.map((q) => q.name));
    expect(names.has(HOSTS.filter.name)).toBe(true);
    expect([...names].every((n) => n.endsWith('.test'))).toBe(true);
  });
});
