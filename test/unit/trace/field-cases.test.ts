/**
 * The Received-header cases of the field-case catalogue (C22–C33), each pinned with the values
 * the catalogue expects. Header texts are kept as the catalogue gives them. The catalogue counts
 * hops from the top field; a Trace counts them from the oldest (bottom) one.
 */
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../src/trace/index.js';
import type { Hop, Trace } from '../../../src/trace/types.js';

function hop(trace: Trace, index: number): Hop {
  const found = trace.hops.find((h) => h.index === index);
  if (!found) throw new Error(`no hop ${index}`);
  return found;
}

/** The catalogue's hop `n`, counted from the top field. */
function fromTop(trace: Trace, n: number): Hop {
  return hop(trace, trace.hops.length + 1 - n);
}

describe('C22: SMTPSVC "over TLS secured channel" and "with" inside a TLS comment', () => {
  const trace = parseMessage(
    [
      'Received: from out-1.mail.example.org ([192.0.2.41]) by BAY004-MC1F9.hotmail.example ' +
        'over TLS secured channel with Microsoft SMTPSVC(7.5.7601.23143);',
      '\t Sat, 14 Nov 2015 22:30:08 -0800',
      'Received: from relay.example.org ([192.0.2.42])',
      '\tby smtp.example.de (RZmta 37.14 OK)',
      '\twith ESMTPS id I01abcdEF7P9v',
      '\t(using TLSv1 with cipher AES256-SHA (256 bits));',
      '\tSat, 14 Nov 2015 10:00:00 +0100 (CET)',
      '',
    ].join('\n'),
  );

  it('reads the SMTPSVC 7.5 hop as TLS without a version', () => {
    const smtpsvc = hop(trace, 2);
    expect(smtpsvc.from?.ip).toBe('192.0.2.41');
    expect(smtpsvc.by?.host).toBe('BAY004-MC1F9.hotmail.example');
    expect(smtpsvc.withText).toBe('Microsoft SMTPSVC (7.5.7601.23143)');
    expect(smtpsvc.recorder.id).toBe('smtpsvc');
    expect(smtpsvc.recorder.recordsTls).toBe('always');
    expect(smtpsvc.evidence.state).toBe('stated');
    expect(smtpsvc.evidence.protocol).toBe('SSL/TLS (version not stated)');
    expect(smtpsvc.evidence.markers).toContain('over TLS secured channel');
  });

  it('takes the protocol from the with clause, not from "with cipher" in the comment', () => {
    const rz = hop(trace, 1);
    expect(rz.with).toBe('ESMTPS');
    expect(rz.evidence.state).toBe('stated');
    expect(rz.evidence.protocol).toBe('TLS 1.0');
    expect(rz.evidence.markers.join(' ')).toContain('using TLSv1 with cipher');
    expect(rz.evidence.cipher).toBe('AES256-SHA');
    expect(rz.evidence.bits).toBe(256);
    expect(rz.clauses.filter((c) => c.keyword === 'with')).toHaveLength(1);
  });
});

describe('C23: Postfix TLS 1.3 comment spanning several lines', () => {
  const first = (digest: string): string =>
    [
      'Received: from mail-out.example.org (mail-out.example.org [192.0.2.48])',
      '\t(using TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits)',
      `\t key-exchange X25519 server-signature RSA-PSS (2048 bits)${digest}`,
      '\t client-signature RSA-PSS (2048 bits) client-digest SHA256)',
      '\t(Client CN "mail-out.example.org", Issuer "Example Issuing CA" (verified OK))',
      '\tby mx.example.com (Postfix) with ESMTPS id 4ABC123DEF',
      '\tfor <user@example.com>; Sat, 16 Aug 2025 16:34:35 +0530 (IST)',
      'Received: from relay.example.net (relay.example.net [198.51.100.20])',
      '\t(using TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits))',
      '\t(No client certificate requested)',
      '\tby mx.example.com (Postfix) with ESMTPS id 5BCD234EF0',
      '\tfor <user@example.com>; Sat, 16 Aug 2025 11:00:00 +0000 (UTC)',
    ].join('\r\n');

  for (const [label, digest] of [
    ['with server-digest', ' server-digest SHA256'],
    ['without server-digest', ''],
  ] as const) {
    it(`reads the TLS 1.3 hop ${label}`, () => {
      const trace = parseMessage(first(digest));
      const tls13 = hop(trace, 2);
      expect(tls13.from?.rdns).toBe('mail-out.example.org');
      expect(tls13.from?.ip).toBe('192.0.2.48');
      expect(tls13.by?.host).toBe('mx.example.com');
      expect(tls13.with).toBe('ESMTPS');
      expect(tls13.evidence).toMatchObject({
        state: 'stated',
        protocol: 'TLS 1.3',
        cipher: 'TLS_AES_128_GCM_SHA256',
        bits: 128,
        keyExchange: 'X25519',
        verify: 'verified OK',
      });
      expect(tls13.verdict).toBe('encrypted');
      const tls12 = hop(trace, 1);
      expect(tls12.evidence).toMatchObject({
        protocol: 'TLS 1.2',
        cipher: 'ECDHE-RSA-AES256-GCM-SHA384',
        bits: 256,
        verify: 'No client certificate requested',
      });
      // Folding does not split the field: the by clause still follows the comments.
      expect(tls13.id).toBe('4ABC123DEF');
    });
  }
});

describe('C25: Exim protocols, old tuple and new tls form, UTF8 names', () => {
  const trace = parseMessage(
    [
      'Received: from [192.0.2.36] (port=51336 helo=DESKTOP1)',
      '        by server10.example.net with esmtpsa (TLSv1:AES128-SHA:128)',
      '        (Exim 4.89_1)',
      '        (envelope-from <sales@example.org>)',
      '        id 1eAB1c-0000xy-ZQ; Tue, 02 Jan 2018 09:02:52 -0700',
      'Received: from [192.0.2.1] (helo=client.example.org)',
      '\tby smtprelay08.example.net with esmtpsa  (TLS1.2) tls ' +
        'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
      '\t(Exim 4.94.2)',
      '\t(envelope-from <u@example.org>)',
      '\tid 1mAB7W-000350-XY',
      '\tfor u@example.org; Wed, 06 Oct 2021 16:03:41 +0200',
      'Received: from smtp-out.example.org (smtp-out.example.org. [192.0.2.156])',
      '        by mx.gmail.example with UTF8SMTPS id ' +
        'o15-20020a5d47cf000000b0033ce06c303esi7826704wrc.186.2024.04.10.12.14.51',
      '        for <user@example.com>',
      '        (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256);',
      '        Wed, 10 Apr 2024 12:14:51 -0700 (PDT)',
      'Received: from mail.example.org ([192.0.2.57])',
      '\tby mx.example.com with utf8esmtps (Exim 4.97)',
      '\tid 1rAB9C-0001AB-CD; Wed, 10 Apr 2024 19:14:51 +0000',
    ].join('\n'),
  );

  it('reads hop 1 (top): esmtpsa with the old tuple, authenticated, HELO DESKTOP1', () => {
    const h = fromTop(trace, 1);
    expect(h.with).toBe('esmtpsa');
    expect(h.authenticated).toBe(true);
    expect(h.from?.helo).toBe('DESKTOP1');
    expect(h.from?.ip).toBe('192.0.2.36');
    expect(h.evidence).toMatchObject({
      state: 'stated',
      protocol: 'TLS 1.0',
      cipher: 'AES128-SHA',
      bits: 128,
    });
    expect(h.evidence.markers).toContain('TLSv1:AES128-SHA:128');
  });

  it('reads hop 2 (top): (TLS1.2) tls <suite> after a double space', () => {
    const h = fromTop(trace, 2);
    expect(h.evidence.protocol).toBe('TLS 1.2');
    expect(h.evidence.cipher).toBe('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
    expect(h.verdict).toBe('encrypted');
  });

  it('reads hop 3 (top): UTF8SMTPS with TLS1_3 and bits 256/256', () => {
    const h = fromTop(trace, 3);
    expect(h.with).toBe('UTF8SMTPS');
    expect(h.evidence).toMatchObject({
      protocol: 'TLS 1.3',
      cipher: 'TLS_AES_256_GCM_SHA384',
      bits: 256,
    });
    expect(h.evidence.markers.join(' ')).toContain('bits=256/256');
  });

  it('reads hop 4 (top): utf8esmtps as TLS without details', () => {
    const h = fromTop(trace, 4);
    expect(h.with).toBe('utf8esmtps');
    expect(h.evidence).toMatchObject({ state: 'stated', protocol: null, cipher: null });
    expect(h.verdict).toBe('encrypted');
  });
});

describe('C27: IPv6 literal forms', () => {
  const trace = parseMessage(
    [
      'Received: from XX0PR01MB0001.prod.example.net',
      ' (2001:db8:208:15:cafe::d2) by XX0PR10CA0076.prod.example.net',
      ' (2001:db8:208:15::29) with Microsoft SMTP Server (version=TLS1_2,',
      ' cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.4566.16 via Frontend',
      ' Transport; Thu, 30 Sep 2021 11:40:15 +0000',
      'Received: from XX1PR01MB0000.prod.example.net',
      ' ([fe80::d943:55cc:ec54:4033]) by XX1PR01MB0000.prod.example.net',
      ' ([fe80::d943:55cc:ec54:4033%9]]) with mapi id 15.20.1101.007; Fri, 31 Aug',
      ' 2018 01:02:03 +0000',
      'Received: from ?IPv6:::ffff:10.0.0.20? (host-198-51-100-9.example.net. [198.51.100.9])',
      '        by smtp.gmail.example with ESMTPSA id h7-v6sm40abcdefg',
      '        for <user@example.com>',
      '        (version=TLS1_2 cipher=ECDHE-RSA-AES128-GCM-SHA256 bits=128/128);',
      '        Sat, 02 Jun 2018 09:29:35 -0700 (PDT)',
      'Received: from mx.example.org ([IPv6:::ffff:192.0.2.195]) by mail.example.com ' +
        'with ESMTP id 1A; Mon, 1 Jan 2024 00:00:00 +0000',
    ].join('\n'),
  );

  it('reads unbracketed Exchange addresses and the comma-separated version form', () => {
    const h = hop(trace, 4);
    expect(h.from?.ip).toBe('2001:db8:208:15:cafe::d2');
    expect(h.by?.ip).toBe('2001:db8:208:15::29');
    expect(h.evidence).toMatchObject({
      state: 'stated',
      protocol: 'TLS 1.2',
      cipher: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
    });
    expect(h.id).toBe('15.20.4566.16');
    expect(h.via).toBe('Frontend Transport');
    expect(JSON.stringify(h.from)).not.toContain('15.20');
  });

  it('drops the zone index, tolerates the stray bracket and calls mapi internal', () => {
    const h = hop(trace, 3);
    expect(h.from?.ip).toBe('fe80::d943:55cc:ec54:4033');
    expect(h.by?.ip).toBe('fe80::d943:55cc:ec54:4033');
    expect(h.with).toBe('mapi');
    expect(h.internal).toBe(true);
    expect(h.verdict).toBe('internal');
  });

  it('prefers the bracketed address over the ?IPv6:…? HELO text', () => {
    const h = hop(trace, 2);
    expect(h.from?.ip).toBe('198.51.100.9');
    expect(h.from?.helo).toBe('?IPv6:::ffff:10.0.0.20?');
    expect(h.evidence.state).toBe('stated');
    expect(h.authenticated).toBe(true);
  });

  it('normalises an IPv4-mapped literal to IPv4', () => {
    expect(hop(trace, 1).from?.ip).toBe('192.0.2.195');
  });
});

describe('C29: no ";" before a Go-style date', () => {
  const trace = parseMessage(
    [
      'Received: by filter0948p1iad2.sendgrid.example with SMTP id',
      ' filter0948p1iad2-19514-5EEA473C-34 2020-06-17 16:39:24.757045452 +0000 UTC',
      ' m=+349867.495769315',
      'Received: from mail.example.org (unknown [192.0.2.90]) by ' +
        'ismtpd0001p1lon1.sendgrid.example (SG) with ESMTP id AbCdEfGhIjKlMnOp for ' +
        '<user@example.com>; Wed, 17 Jun 2020 16:39:24.500 +0000 (UTC)',
    ].join('\n'),
  );

  it('finds the date, keeps the id and calls the from-less hop not applicable', () => {
    const h = hop(trace, 2);
    expect(h.by?.host).toBe('filter0948p1iad2.sendgrid.example');
    expect(h.with).toBe('SMTP');
    expect(h.id).toBe('filter0948p1iad2-19514-5EEA473C-34');
    expect(h.date).toBe('2020-06-17T16:39:24.757Z');
    expect(h.from).toBeNull();
    expect(h.internal).toBe(true);
    expect(h.verdict).toBe('not-applicable');
    expect(trace.handoffs.map((x) => x.hop)).not.toContain(2);
  });

  it('parses fractional seconds and computes the delay', () => {
    expect(hop(trace, 1).date).toBe('2020-06-17T16:39:24.500Z');
    expect(hop(trace, 2).delaySeconds).toBe(0);
  });
});

describe('C31: fields with no from or by clause', () => {
  const trace = parseMessage(
    [
      'Received: (qmail 24365 invoked by uid 99); 25 Jan 2011 12:31:11 -0000',
      'Received: (qmail 1234 invoked from network); 25 Jan 2011 12:31:10 -0000',
      'Received: (antispam gateway 4.1.0); Tue, 23 Feb 2016 17:49:43 +0800',
      'Received: Wed, 7 Jun 2017 11:35:20 -0400',
      'Received: by mail.example.com (Postfix, from userid 98)',
      '\tid 02DF21B4149; Tue, 23 Feb 2016 20:12:45 +0800 (CST)',
    ].join('\n'),
  );

  it('parses every field into a hop without from, and by only for Postfix', () => {
    expect(trace.hops).toHaveLength(5);
    expect(trace.hops.map((h) => h.from)).toEqual([null, null, null, null, null]);
    expect(trace.hops.map((h) => h.by?.host ?? null)).toEqual([
      'mail.example.com', null, null, null, null,
    ]);
  });

  it('keeps dates and comment texts, and never takes "from" out of a comment', () => {
    expect(trace.hops.map((h) => h.date)).toEqual([
      '2016-02-23T12:12:45.000Z',
      '2017-06-07T15:35:20.000Z',
      '2016-02-23T09:49:43.000Z',
      '2011-01-25T12:31:10.000Z',
      '2011-01-25T12:31:11.000Z',
    ]);
    expect(hop(trace, 4).notes).toContain('Note: qmail 1234 invoked from network');
    expect(hop(trace, 3).notes).toContain('Note: antispam gateway 4.1.0');
    expect(hop(trace, 1).notes).toContain('Note: Postfix, from userid 98');
  });

  it('leaves all five out of TLS inference', () => {
    expect(trace.hops.every((h) => h.verdict === 'not-applicable')).toBe(true);
    expect(trace.handoffs).toEqual([]);
    expect(trace.summary.unencryptedHandoffs).toEqual([]);
  });
});

describe('C33: local hops between the boundary MX and the mailbox', () => {
  const trace = parseMessage(
    [
      'Received: from mail.example.org ([unix socket])',
      '\t by mail.example.org (Cyrus 3.4.4) with LMTPA;',
      '\t Mon, 19 Dec 2022 08:44:21 +0000',
      'Received: from mail (localhost [127.0.0.1])',
      '\tby mail.example.org (8.17.1/8.17.1) with ESMTP id 2BJ8iFabc12641;',
      '\tMon, 19 Dec 2022 08:44:19 GMT',
      'Received: from mail.example.org ([127.0.0.1])',
      '\tby localhost (mail.example.org [127.0.0.1]) (amavisd-new, port 10024)',
      '\twith ESMTP id 8jR1M8abcLkX for <list@lists.example.org>;',
      '\tMon, 19 Dec 2022 08:44:17 +0000',
      'Received: by LISTS.EXAMPLE.ORG (LISTSERV-TCP/IP release 17.0) with spool id',
      '          16690518 for LIST@LISTS.EXAMPLE.ORG; Mon, 19 Dec 2022 08:44:15',
      '          +0000',
      'Received: from mail-pl1-f170.example.net (mail-pl1-f170.example.net',
      '          [192.0.2.170]) by mail.example.org (8.17.1/8.17.1) with ESMTPS id',
      '          2BEIoBabc90222 (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384',
      '          bits=256 verify=OK) for <list@lists.example.org>; Wed, 14 Dec',
      '          2022 18:50:12 GMT',
      'Received: by mail-pl1-f170.example.net with SMTP id x2so2978273plb.13 for',
      ' <list@lists.example.org>; Wed, 14 Dec 2022 10:50:11 -0800 (PST)',
    ].join('\n'),
  );

  it('calls the socket, loopback, LMTP, spool and content-filter hops internal', () => {
    expect(trace.hops.map((h) => h.internal)).toEqual([true, false, true, true, true, true]);
    expect(hop(trace, 6).internalReason).toMatch(/LMTP|socket/);
    expect(hop(trace, 4).internalReason).toMatch(/127\.0\.0\.1|content filter/);
  });

  it('finds the boundary hop 5 (from the top) encrypted with TLS 1.3, verify OK', () => {
    const boundary = hop(trace, 2);
    expect(boundary.from?.ip).toBe('192.0.2.170');
    expect(boundary.evidence).toMatchObject({
      protocol: 'TLS 1.3',
      cipher: 'TLS_AES_256_GCM_SHA384',
      verify: 'OK',
    });
    expect(boundary.verdict).toBe('encrypted');
    expect(trace.handoffs.map((h) => h.hop)).toEqual([2]);
  });

  it('never reports an internal plaintext hop as a missing-TLS hand-off', () => {
    expect(trace.summary.unencryptedHandoffs).toEqual([]);
    expect(trace.hops.filter((h) => h.verdict === 'not-encrypted')).toEqual([]);
  });

  it('accepts the 5-day gap as a note, not a warning', () => {
    const list = hop(trace, 3);
    expect(list.delaySeconds).toBeGreaterThan(4 * 86400);
    expect(list.notes.some((n) => n.startsWith('Long delay'))).toBe(true);
    expect(trace.warnings.some((w) => w.includes('Long delay'))).toBe(false);
  });

  it('calls the bottom hop the sender\'s own injection', () => {
    const bottom = hop(trace, 1);
    expect(bottom.from).toBeNull();
    expect(bottom.with).toBe('SMTP');
    expect(bottom.verdict).toBe('not-applicable');
  });
});
