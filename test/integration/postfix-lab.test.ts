/**
 * The lab itself: a partner's outbound Postfix relays over STARTTLS to an inbound Postfix that
 * delivers into a maildir, and the delivered message carries both hops' Received fields.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa, makeLeaf, type TestCa } from '../helpers/certs.js';
import { waitForDelivery } from '../lab/maildir.js';
import { fleetAddresses, startPostfix, startPostfixFleet } from '../lab/postfix.js';
import type { PostfixInstance } from '../lab/postfix.js';
import { submitMessage } from '../lab/smtp-submit.js';
import { requirePostfix } from '../lab/require.js';
import { probeHost } from '../../src/probe/host.js';
import { listeningAddresses } from '../lab/listeners.js';

const INBOUND = '127.0.10.201';
const PARTNER = '127.0.10.202';
const PLAIN_PARTNER = '127.0.10.203';
const BROKEN = '127.0.10.204';
const FILTER = '127.0.10.205';
const FILTERED_PARTNER = '127.0.10.206';

describe.skipIf(!requirePostfix())('postfix lab relay', () => {
  const instances: PostfixInstance[] = [];
  let inbound: PostfixInstance;
  let partner: PostfixInstance;
  let plainPartner: PostfixInstance;
  let ca: TestCa;

  /** Starts an instance and has afterAll stop it, even when a later start fails. */
  const track = async (started: Promise<PostfixInstance>): Promise<PostfixInstance> => {
    const instance = await started;
    instances.push(instance);
    return instance;
  };

  beforeAll(async () => {
    ca = makeCa();
    const leaf = makeLeaf(ca, { names: ['mx.inbound.test'] });
    // The partners relay only when mail arrives, so all three can start at once.
    [inbound, partner, plainPartner] = await Promise.all([
      track(startPostfix({
        addresses: [INBOUND],
        hostname: 'mx.inbound.test',
        tls: { chainFile: leaf.chainFile, keyFile: leaf.keyFile },
        mailboxDomains: ['inbound.test'],
      })),
      track(startPostfix({
        addresses: [PARTNER],
        hostname: 'out.partner.test',
        relay: { nexthop: INBOUND, tlsLevel: 'encrypt', caFile: ca.certFile },
      })),
      track(startPostfix({
        addresses: [PLAIN_PARTNER],
        hostname: 'out.plain-partner.test',
        relay: { nexthop: INBOUND, tlsLevel: 'none', domains: ['inbound.test'] },
      })),
    ]);
  });

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
  });

  it('delivers a relayed message with an ESMTPS Received field from each hop', async () => {
    const submitted = await submitMessage(PARTNER, {
      from: 'bob@partner.test',
      to: ['alice@inbound.test'],
      message: 'From: bob@partner.test\nTo: alice@inbound.test\nSubject: lab\n\nhello\n.dot\n',
    });
    expect(submitted.queueId).toMatch(/^[0-9A-Z]+$/);

    const [message] = await waitForDelivery(inbound.inboxDir, { recipient: 'alice@inbound.test' });
    expect(message?.text).toContain('\n.dot\n');
    const received = message?.received ?? [];
    expect(received).toHaveLength(2);
    expect(received[0]).toMatch(/^from out\.partner\.test \(unknown \[127\.0\.10\.202\]\)/);
    expect(received[0]).toMatch(/\(using TLSv1\.3 with cipher \S+/);
    expect(received[0]).toMatch(/by mx\.inbound\.test \(Postfix\) with ESMTPS id/);
    expect(received[1]).toMatch(/by out\.partner\.test \(Postfix\) with ESMTP id/);
    expect(partner.readLog()).toMatch(/Trusted TLS connection established to 127\.0\.10\.201/);
  });

  it('relays in plain text at level none, and Received then says ESMTP without TLS', async () => {
    await submitMessage(PLAIN_PARTNER, {
      from: 'carol@plain-partner.test',
      to: ['dave@inbound.test'],
      message: 'Subject: plain\n\nhello\n',
    });
    const [message] = await waitForDelivery(inbound.inboxDir, { recipient: 'dave@inbound.test' });
    const top = message?.received[0] ?? '';
    expect(top).toMatch(/^from out\.plain-partner\.test \(unknown \[127\.0\.10\.203\]\)/);
    expect(top).toMatch(/with ESMTP id/);
    expect(top).not.toMatch(/using TLS|ESMTPS/);
  });

  it('refuses mail for a domain no rule routes at RCPT time, without any lookup', async () => {
    const submit = submitMessage(PLAIN_PARTNER, {
      from: 'carol@plain-partner.test',
      to: ['someone@elsewhere.test'],
      message: 'Subject: nowhere\n\nhello\n',
    });
    await expect(submit).rejects.toThrow(/550 5\.1\.2 .*routes no mail for that domain/);
    expect(plainPartner.readLog()).not.toMatch(/elsewhere\.test.*(status=|Host or domain)/);
  });

  it('chains partner, filter and inbound, each hop with its own TLS and Received', async () => {
    const filterLeaf = makeLeaf(ca, { names: ['filter.inbound.test'] });
    await Promise.all([
      track(startPostfix({
        addresses: [FILTER],
        hostname: 'filter.inbound.test',
        // Without the comment, Received still says ESMTPS but not the protocol and cipher.
        tls: { chainFile: filterLeaf.chainFile, keyFile: filterLeaf.keyFile,
          receivedHeader: false },
        relay: { nexthop: INBOUND, domains: ['inbound.test'], tlsLevel: 'none' },
      })),
      track(startPostfix({
        addresses: [FILTERED_PARTNER],
        hostname: 'out.filtered-partner.test',
        relay: { nexthop: FILTER, tlsLevel: 'may' },
      })),
    ]);

    await submitMessage(FILTERED_PARTNER, {
      from: 'erin@filtered-partner.test',
      to: ['frank@inbound.test'],
      message: 'Subject: three hops\n\nhello\n',
    });
    const [message] = await waitForDelivery(inbound.inboxDir, { recipient: 'frank@inbound.test' });
    const [atInbound, atFilter, atSender] = message?.received ?? [];
    expect(message?.received).toHaveLength(3);
    expect(atInbound).toMatch(/^from filter\.inbound\.test \(unknown \[127\.0\.10\.205\]\)/);
    expect(atInbound).toMatch(/with ESMTP id/);
    expect(atFilter).toMatch(/^from out\.filtered-partner\.test \(unknown \[127\.0\.10\.206\]\)/);
    expect(atFilter).toMatch(/with ESMTPS id/);
    expect(atFilter).not.toMatch(/using TLS/);
    expect(atSender).toMatch(/by out\.filtered-partner\.test \(Postfix\) with ESMTP id/);
  });

  it('fails to start with the maillog reason when the certificate file is missing', async () => {
    const start = startPostfix({
      addresses: [BROKEN],
      tls: { chainFile: '/nonexistent/chain.pem', keyFile: '/nonexistent/key.pem' },
    });
    await expect(start).rejects.toThrow(/\/nonexistent\/(chain|key)\.pem/);
    // The failed instance was stopped: its address is free again.
    expect(listeningAddresses(25).has(BROKEN)).toBe(false);
  });

  it('refuses addresses outside the lab, such as 127.0.0.1 and non-loopback ones', async () => {
    await expect(startPostfix({ addresses: ['127.0.0.1'] })).rejects.toThrow(/not a lab/);
    await expect(startPostfix({ addresses: ['10.0.0.1'] })).rejects.toThrow(/not a lab/);
  });
});

describe.skipIf(!requirePostfix())('postfix lab fleet', () => {
  const COUNT = 600;
  const addresses = fleetAddresses(COUNT);
  let fleet: PostfixInstance | undefined;

  afterAll(async () => {
    await fleet?.stop();
  });

  it('serves STARTTLS on hundreds of addresses from one instance', async () => {
    const ca = makeCa();
    const leaf = makeLeaf(ca, { names: ['fleet.mxtls.test'] });
    const tls = { chainFile: leaf.chainFile, keyFile: leaf.keyFile };
    fleet = await startPostfixFleet(addresses, tls);
    expect(addresses.slice(-1)).toEqual(['127.0.13.92']);
    const listening = listeningAddresses(25);
    expect(addresses.filter((a) => !listening.has(a))).toEqual([]);
    // Nothing may have bound port 25 on every address, or on 127.0.0.1.
    expect(listening.has('0.0.0.0')).toBe(false);
    expect(listening.has('127.0.0.1')).toBe(false);

    const sample = [addresses[0], addresses[299], addresses[COUNT - 1]] as string[];
    const results = await Promise.all(sample.map((address) =>
      probeHost({ host: 'fleet.mxtls.test', address, family: 4, port: 25 }, { ca: ca.certPem })));
    expect(results.map((r) => [r.address, r.outcome, r.tls?.certificate.summary])).toEqual(
      sample.map((address) => [address, 'tls', 'verified']),
    );
  });

  it('stops the whole fleet and frees every address', async () => {
    await fleet?.stop();
    fleet = undefined;
    const listening = listeningAddresses(25);
    expect(addresses.filter((a) => listening.has(a))).toEqual([]);
  });
});
