/**
 * The lab itself: a partner's outbound Postfix relays over STARTTLS to an inbound Postfix that
 * delivers into a maildir, and the delivered message carries both hops' Received fields.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa, makeLeaf } from '../helpers/certs.js';
import { waitForDelivery } from '../lab/maildir.js';
import { fleetAddresses, startPostfix, startPostfixFleet } from '../lab/postfix.js';
import type { PostfixInstance } from '../lab/postfix.js';
import { submitMessage } from '../lab/smtp-submit.js';
import { requirePostfix } from '../lab/require.js';
import { probeHost } from '../../src/probe/host.js';
import { readFileSync } from 'node:fs';

const INBOUND = '127.0.10.201';
const PARTNER = '127.0.10.202';

describe.skipIf(!requirePostfix())('postfix lab relay', () => {
  const instances: PostfixInstance[] = [];
  let inbound: PostfixInstance;
  let partner: PostfixInstance;
  const ca = makeCa();

  beforeAll(async () => {
    const leaf = makeLeaf(ca, { names: ['mx.inbound.test'] });
    inbound = await startPostfix({
      addresses: [INBOUND],
      hostname: 'mx.inbound.test',
      tls: { chainFile: leaf.chainFile, keyFile: leaf.keyFile },
      mailboxDomains: ['inbound.test'],
    });
    instances.push(inbound);
    partner = await startPostfix({
      addresses: [PARTNER],
      hostname: 'out.partner.test',
      relay: { nexthop: INBOUND, tlsLevel: 'encrypt', caFile: ca.certFile },
    });
    instances.push(partner);
  });

  afterAll(async () => {
    for (const instance of instances) await instance.stop();
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
});

describe.skipIf(!requirePostfix())('postfix lab fleet', () => {
  const COUNT = 600;
  const addresses = fleetAddresses(COUNT);
  const ca = makeCa();
  let fleet: PostfixInstance | undefined;

  afterAll(async () => {
    await fleet?.stop();
  });

  it('serves STARTTLS on hundreds of addresses from one instance', async () => {
    const leaf = makeLeaf(ca, { names: ['fleet.mxtls.test'] });
    fleet = await startPostfixFleet(addresses, { chainFile: leaf.chainFile, keyFile: leaf.keyFile });
    expect(addresses.slice(-1)).toEqual(['127.0.13.92']);
    const listening = readFileSync('/proc/net/tcp', 'utf8');
    // 127.0.13.92:25 in /proc's little-endian hex.
    expect(listening).toMatch(/ 5C0D007F:0019 00000000:0000 0A /);
    // Nothing may have bound port 25 on every address, or on 127.0.0.1.
    expect(listening).not.toMatch(/ (00000000|0100007F):0019 00000000:0000 0A /);

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
    const listening = readFileSync('/proc/net/tcp', 'utf8');
    // Any of 127.0.11-13.x:25 still listening.
    expect(listening).not.toMatch(/ [0-9A-F]{2}0[BCD]007F:0019 00000000:0000 0A /);
  });
});
