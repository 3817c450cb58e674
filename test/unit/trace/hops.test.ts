import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../src/trace/index.js';
import { inNetworks, parseAddress, parseNetwork } from '../../../src/trace/addresses.js';
import { parseTraceDate } from '../../../src/trace/trace-date.js';
import { readTraceFields } from '../../../src/trace/header-fields.js';
import { UsageError } from '../../../src/errors.js';
import { organisation, sameOrganisation } from '../../../src/trace/organisations.js';

// The two header forms a real Postfix writes in the loopback end-to-end tests.
const postfixLab = [
  'Received: from filter.test (unknown [127.0.10.2])',
  '\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)',
  '\t key-exchange X25519 server-signature ECDSA (P-256) server-digest SHA256)',
  '\t(No client certificate requested)',
  '\tby mx.recipient.test (Postfix) with ESMTPS id 4Xyz2;',
  '\tMon,  9 Mar 2026 17:40:23 +0000 (UTC)',
  'Received: from client.partner.test (unknown [127.0.10.1])',
  '\tby mx.filter.test (Postfix) with ESMTP id 4Xyz1;',
  '\tMon,  9 Mar 2026 17:40:22 +0000 (UTC)',
  '',
].join('\n');

describe('internal networks', () => {
  it('treats loopback hops as internal by default', () => {
    const trace = parseMessage(postfixLab);
    expect(trace.hops.map((h) => h.verdict)).toEqual(['internal', 'internal']);
    expect(trace.handoffs).toEqual([]);
  });

  it('makes loopback hand-offs between .test organisations count when the list is replaced', () => {
    const trace = parseMessage(postfixLab, { internalNetworks: ['127.0.0.1/32'] });
    expect(trace.hops.map((h) => h.verdict)).toEqual(['not-encrypted', 'encrypted']);
    expect(trace.hops.map((h) => [h.fromOrganisation, h.byOrganisation])).toEqual([
      ['partner.test', 'filter.test'],
      ['filter.test', 'recipient.test'],
    ]);
    expect(trace.handoffs.map((h) => [h.hop, h.verdict, h.protocol])).toEqual([
      [1, 'not-encrypted', null],
      [2, 'encrypted', 'TLS 1.3'],
    ]);
    expect(trace.summary.unencryptedHandoffs).toEqual([1]);
    expect(trace.summary.text).toContain('hop 1 client.partner.test → mx.filter.test');
    expect(trace.hops[1]?.continuity).toBe('match');
  });

  it('always counts [unix socket] and [local] as internal, whatever the list', () => {
    const trace = parseMessage(
      'Received: from localhost (host.example [local]) by host.example (OpenSMTPD) ' +
        'with ESMTPA id 02a46af2; Mon, 9 Mar 2026 17:40:21 +0000\n',
      { internalNetworks: [] },
    );
    expect(trace.hops[0]?.internal).toBe(true);
    expect(trace.hops[0]?.internalReason).toContain('local socket');
  });

  it('rejects a list entry that is not a CIDR', () => {
    expect(() => parseMessage('', { internalNetworks: ['10.0.0.0/33'] })).toThrow(UsageError);
  });
});

describe('hops', () => {
  it('flags a sender that is not the previous receiver, and clock skew', () => {
    const trace = parseMessage(
      [
        'Received: from other.example.net (other.example.net [198.51.100.7]) by mx.example.com ' +
          '(Postfix) with ESMTPS id 2; Mon, 9 Mar 2026 17:30:00 +0000',
        'Received: from a.example.org (a.example.org [192.0.2.1]) by out.example.org ' +
          '(Postfix) with ESMTP id 1; Mon, 9 Mar 2026 17:40:00 +0000',
      ].join('\n'),
    );
    const second = trace.hops[1];
    expect(second?.continuity).toBe('gap');
    expect(second?.delaySeconds).toBe(-600);
    expect(second?.notes.some((n) => n.startsWith('Clock skew'))).toBe(true);
    expect(trace.warnings.some((w) => w.includes('Gap'))).toBe(true);
  });

  it('tolerates a small negative delay', () => {
    const trace = parseMessage(
      [
        'Received: from out.example.org (out.example.org [192.0.2.2]) by mx.example.com ' +
          '(Postfix) with ESMTPS id 2; Mon, 9 Mar 2026 17:39:30 +0000',
        'Received: from a.example.org ([192.0.2.1]) by out.example.org ' +
          '(Postfix) with ESMTP id 1; Mon, 9 Mar 2026 17:40:00 +0000',
      ].join('\n'),
    );
    expect(trace.hops[1]?.delaySeconds).toBe(-30);
    expect(trace.hops[1]?.continuity).toBe('match');
    expect(trace.warnings).toEqual([]);
  });

  it('learns that an unknown server records TLS when it states TLS on another hop', () => {
    const trace = parseMessage(
      [
        'Received: from b.example.net (b.example.net [198.51.100.2]) by gw.example.com ' +
          'with ESMTP id 2; Mon, 9 Mar 2026 17:41:00 +0000',
        'Received: from a.example.org (a.example.org [192.0.2.1]) by gw.example.com ' +
          'with ESMTPS id 1; Mon, 9 Mar 2026 17:40:00 +0000',
      ].join('\n'),
    );
    expect(trace.hops.map((h) => h.verdict)).toEqual(['encrypted', 'not-encrypted']);
    expect(trace.hops[1]?.recorder.note).toContain('another hop');
  });

  it('keeps a TLS comment in the by clause out of the software name', () => {
    const trace = parseMessage(
      'Received: from unknown [192.0.2.44] (EHLO wgh.example.com) by mx1.example.com (Postfix) ' +
        '(using TLSv1.2 with cipher AES256-SHA) with ESMTP id 1; Mon, 9 Mar 2026 17:40:00 +0000\n',
    );
    expect(trace.hops[0]?.by?.software).toBe('Postfix');
    expect(trace.hops[0]?.from?.helo).toBe('wgh.example.com');
    expect(trace.hops[0]?.from?.rdns).toBeNull();
  });

  it.each([
    ['qmail', 'from unknown (HELO a.example.org) (192.0.2.88) by m.example.com with SMTP'],
    ['qmail', 'from unknown (HELO ?192.168.1.9?) (u@example.net@203.0.113.18) by ' +
      'm.example.com with (ECDHE-RSA-AES128-GCM-SHA256 encrypted) SMTP'],
    ['unknown', 'from a.example.org (192.0.2.1) by mx.example.com (chasquid) ' +
      '(over SMTP, TLS-1.3, envelope from "u@example.org")'],
    ['unknown', 'from a.example.org (192.0.2.1) by mx.example.com with SMTP id 17'],
    ['sendmail', 'from a ([192.0.2.1]) by b.example.com (8.18.1/8.18.1) with ESMTP id 1'],
    ['exim', 'from a ([192.0.2.1]) by b.example.com with esmtp (Exim 4.96) id 1'],
    ['cisco', 'from a ([192.0.2.1]) by gw.example.edu with ESMTP/TLS/AES128-GCM-SHA256'],
    ['smtpsvc', 'from a ([192.0.2.1]) by b.example.com with Microsoft SMTPSVC(6.0.3790.1830)'],
  ])('recognises the %s dialect in %j', (id, body) => {
    const trace = parseMessage(`Received: ${body}; Mon, 9 Mar 2026 17:40:00 +0000\n`);
    expect(trace.hops[0]?.recorder.id).toBe(id);
  });

  it('calls Exim local-esmtp submission internal', () => {
    const trace = parseMessage(
      'Received: from u by host.example.org with local-esmtp (Exim 4.96) id 1; ' +
        'Mon, 9 Mar 2026 17:40:00 +0000\n',
    );
    expect(trace.hops[0]?.with).toBe('local-esmtp');
    expect(trace.hops[0]?.verdict).toBe('internal');
    expect(trace.hops[0]?.internalReason).toBe('submitted on the host itself');
  });

  it('reads host names whose last label is a keyword as names', () => {
    const trace = parseMessage(
      'Received: from mail.example.ac.id (mail.example.ac.id [192.0.2.1]) by mx.example.co.id ' +
        '(Postfix) with ESMTPS id 9Z for <u@example.co.id>; Mon, 9 Mar 2026 17:40:00 +0700\n',
    );
    const hop = trace.hops[0];
    expect(hop?.from?.helo).toBe('mail.example.ac.id');
    expect(hop?.by?.host).toBe('mx.example.co.id');
    expect(hop?.id).toBe('9Z');
    expect(hop?.fromOrganisation).toBe('example.ac.id');
  });

  it('reads a from clause with an empty name and an IPv6 literal', () => {
    const trace = parseMessage(
      'Received: from  ([IPv6:2001:db8::1] [192.0.2.1]) by 0.0.0.0:587 with ESMTPSA; ' +
        'Mon, 9 Mar 2026 17:40:00 +0000\n',
    );
    expect(trace.hops[0]?.from?.helo).toBeNull();
    expect(trace.hops[0]?.from?.ip).toBe('2001:db8::1');
    expect(trace.hops[0]?.by?.host).toBe('0.0.0.0:587');
    expect(trace.hops[0]?.evidence.state).toBe('stated');
  });

  it('calls a plain ESMTP hop from an unrecognised server not recorded', () => {
    const trace = parseMessage(
      'Received: from a.example.org ([192.0.2.1]) by gw.example.com with ESMTP id 1; ' +
        'Mon, 9 Mar 2026 17:40:00 +0000\n',
    );
    expect(trace.hops[0]?.verdict).toBe('not-recorded');
    expect(trace.hops[0]?.evidence.state).toBe('none');
  });
});

describe('organisations', () => {
  it('uses the registrable domain, and .test second-level names as separate organisations', () => {
    expect(organisation('mx.recipient.test')).toBe('recipient.test');
    expect(organisation('a.b.example.co.uk')).toBe('example.co.uk');
    expect(organisation('[192.0.2.1]')).toBeNull();
    expect(organisation('IMSVA')).toBeNull();
    expect(sameOrganisation('partner.test', 'recipient.test')).toBe(false);
  });

  it('joins the registrable domains of one listed provider', () => {
    expect(sameOrganisation('zoho.com', 'zohomail.com')).toBe(true);
    expect(sameOrganisation('outlook.com', 'office365.com')).toBe(true);
    expect(sameOrganisation('hotmail.com', 'ppe-hosted.com')).toBe(false);
    expect(sameOrganisation(null, null)).toBe(false);
  });
});

describe('addresses', () => {
  it.each([
    ['[192.0.2.1]', '192.0.2.1'],
    ['[IPv6:2001:db8::1]', '2001:db8::1'],
    ['[IPV6:2001:DB8::5AB0]', '2001:db8::5ab0'],
    ['[fe80::1%9]]', 'fe80::1'],
    ['[IPv6:::ffff:192.0.2.195]', '192.0.2.195'],
    ['[192.0.2.52]:40594', '192.0.2.52'],
    ['2001:db8:208:15::29', '2001:db8:208:15::29'],
    ['15.20.4566.16', null],
    ['?IPv6:::ffff:10.0.0.20?', null],
    ['mail.example.org', null],
  ])('reads %s as %s', (text, expected) => {
    expect(parseAddress(text)).toBe(expected);
  });

  it('matches CIDR ranges of both families', () => {
    const nets = ['10.0.0.0/8', 'fc00::/7', '127.0.0.1'].map((n) => parseNetwork(n));
    expect(nets.every((n) => n !== null)).toBe(true);
    const list = nets.filter((n) => n !== null);
    expect(inNetworks('10.200.1.1', list)).toBe(true);
    expect(inNetworks('11.0.0.1', list)).toBe(false);
    expect(inNetworks('fd12::1', list)).toBe(true);
    expect(inNetworks('2001:db8::1', list)).toBe(false);
    expect(inNetworks('127.0.0.1', list)).toBe(true);
    expect(inNetworks('127.0.10.1', list)).toBe(false);
    expect(parseNetwork('192.0.2.0/40')).toBeNull();
  });
});

describe('dates', () => {
  it.each([
    ['Mon, 19 Aug 2019 10:41:21 -0400', '2019-08-19T14:41:21.000Z'],
    ['19 Aug 2019 10:41:21 EDT', '2019-08-19T14:41:21.000Z'],
    ['Mon, 19 Aug 19 10:41 GMT', '2019-08-19T10:41:00.000Z'],
    ['Mon,  9 Mar 2026 17:40:21 +0000', '2026-03-09T17:40:21.000Z'],
    ['Wed, 17 Jun 2020 16:39:24.500 +0000', '2020-06-17T16:39:24.500Z'],
    ['2020-06-17 16:39:24.757045452 +0000 UTC m=+349867.495769315', '2020-06-17T16:39:24.757Z'],
    ['Mon Aug 19 10:41:21 2019', '2019-08-19T10:41:21.000Z'],
    ['27 Nov 2020 19:33:00 -0000', '2020-11-27T19:33:00.000Z'],
    ['Tuesday, 23 Feb 2016 17:49:43 +0800', '2016-02-23T09:49:43.000Z'],
  ])('parses %s', (text, iso) => {
    expect(parseTraceDate(text)).toBe(iso);
  });

  it.each(['', 'yesterday', '32 Foo 2020 10:00 +0000', '1 Jan 2020 25:00 +0000'])(
    'rejects %j',
    (text) => {
      expect(parseTraceDate(text)).toBeNull();
    },
  );
});

describe('header reading', () => {
  it('skips an mbox From line, unfolds continuation lines and stops at the body', () => {
    const fields = readTraceFields(
      'From someone@example.org Mon Mar  9 17:40:21 2026\r\n' +
        'Received: from a.example.org\r\n\tby b.example.com; 1 Jan 2020 00:00 +0000\r\n' +
        'Subject: x\r\n\r\nReceived: from body.example by body.example; x\r\n',
    );
    expect(fields.received).toEqual([
      ' from a.example.org\tby b.example.com; 1 Jan 2020 00:00 +0000',
    ]);
    expect(fields.malformedLines).toBe(0);
  });

  it('matches the field name case-insensitively', () => {
    expect(readTraceFields('RECEIVED: by a.example.org; x\nreceived: by b.example.org; y\n')
      .received).toHaveLength(2);
  });
});
