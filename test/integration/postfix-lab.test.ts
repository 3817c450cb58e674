/**
 * The lab itself: a partner's outbound Postfix relays over STARTTLS to an inbound Postfix that
 * delivers into a maildir, and the delivered message carries both hops' Received fields.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa, makeLeaf } from '../helpers/certs.js';
import { waitForDelivery } from '../lab/maildir.js';
import { startPostfix, type PostfixInstance } from '../lab/postfix.js';
import { submitMessage } from '../lab/smtp-submit.js';
import { requirePostfix } from '../lab/require.js';

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
