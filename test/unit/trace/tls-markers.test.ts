import { describe, expect, it } from 'vitest';
import {
  isCipherToken,
  normaliseVersion,
  readTlsMarkers,
  VERSION_NOT_STATED,
} from '../../../src/trace/tls-markers.js';
import { parseReceived } from '../../../src/trace/received-field.js';

function markersOf(body: string): ReturnType<typeof readTlsMarkers> {
  return readTlsMarkers(parseReceived(body).clauses);
}

describe('normaliseVersion', () => {
  it.each([
    ['TLS1_2', 'TLS 1.2'],
    ['TLSv1.2', 'TLS 1.2'],
    ['TLS1.2', 'TLS 1.2'],
    ['TLS-1.2', 'TLS 1.2'],
    ['tlsv1.3', 'TLS 1.3'],
    ['TLS1_3', 'TLS 1.3'],
    ['TLS13', 'TLS 1.3'],
    ['TLSv1', 'TLS 1.0'],
    ['TLS1', 'TLS 1.0'],
    ['TLS-1.0', 'TLS 1.0'],
    ['SSLv3', 'SSL 3.0'],
    ['TLSv1/SSLv3', VERSION_NOT_STATED],
    ['TLS', VERSION_NOT_STATED],
    ['Exim', null],
  ])('normalises %s to %s', (raw, expected) => {
    expect(normaliseVersion(raw)).toBe(expected);
  });

  it('never reports TLSv1/SSLv3 as SSL 3.0 or TLS 1.0', () => {
    const m = markersOf(
      'from a.example.org ([192.0.2.1]) by b.example.com (8.14.4/8.14.4) with ESMTP id x ' +
        '(version=TLSv1/SSLv3 cipher=DHE-RSA-AES256-SHA bits=256 verify=NOT); 1 Jan 2020 00:00 Z',
    );
    expect(m.protocol).toBe(VERSION_NOT_STATED);
    expect(m.cipher).toBe('DHE-RSA-AES256-SHA');
    expect(m.verify).toBe('NOT');
  });
});

describe('isCipherToken', () => {
  it.each([
    'ECDHE-RSA-AES128-GCM-SHA256',
    'AES256-SHA',
    'TLS_AES_256_GCM_SHA384',
    'ECDHE_RSA_AES_128_GCM_SHA256',
    'TLS13_AES_256_GCM_SHA384',
    'DES-CBC3-SHA',
    'RC4-SHA',
    'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384_P384',
    'ECDHE-RSA-CHACHA20-POLY1305',
  ])('accepts %s', (token) => {
    expect(isCipherToken(token)).toBe(true);
  });

  it.each(['mail.aes-sha.example', 'RSA-PSS', 'SHA256', '4AbCdE1234', 'X25519', 'user@aes-sha'])(
    'rejects %s',
    (token) => {
      expect(isCipherToken(token)).toBe(false);
    },
  );
});

describe('readTlsMarkers', () => {
  it.each([
    ['Cisco slash form', 'by esa1.example.iphmx.com with ESMTP/TLS/ECDHE-RSA-AES128-GCM-SHA256',
      null, 'ECDHE-RSA-AES128-GCM-SHA256', null],
    ['qmail comment', 'by mail.example.com with (ECDHE-RSA-AES128-GCM-SHA256 encrypted) SMTP',
      null, 'ECDHE-RSA-AES128-GCM-SHA256', null],
    ['qmail phrase', 'by m.example.com with DHE-RSA-AES256-SHA encrypted SMTP',
      null, 'DHE-RSA-AES256-SHA', null],
    ['Courier', 'from a (a [192.0.2.1]) (AUTH: CRAM-MD5 u, TLS: TLS1.3, 128bits, ' +
      'ECDHE_RSA_AES_128_GCM_SHA256) by b.example.com with ESMTPSA',
      'TLS 1.3', 'ECDHE_RSA_AES_128_GCM_SHA256', 128],
    ['DLP relay', 'by DLP-1.example.com with smtp (TLS: TLSv1/SSLv3,128bits,' +
      'ECDHE-RSA-AES128-GCM-SHA256) id 6099', VERSION_NOT_STATED, 'ECDHE-RSA-AES128-GCM-SHA256',
      128],
    ['OpenSMTPD tuple', 'by mail.example.org (OpenSMTPD) with ESMTPS id 96f08978 ' +
      '(TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO)', 'TLS 1.3', 'TLS_AES_256_GCM_SHA384', 256],
    ['Exim GnuTLS tuple', 'by l.example.com with esmtpsa ' +
      '(TLS1.2:ECDHE_RSA_AES_128_GCM_SHA256:128) (Exim 4.90_1)', 'TLS 1.2',
      'ECDHE_RSA_AES_128_GCM_SHA256', 128],
    ['Exim 3 cipher comment', 'by s.example.net with esmtp (Cipher TLSv1:DES-CBC3-SHA:168)',
      'TLS 1.0', 'DES-CBC3-SHA', 168],
    ['Mimecast', 'by relay.mimecast.com with ESMTP with STARTTLS (version=TLSv1.3, ' +
      'cipher=TLS_AES_256_GCM_SHA384) id us-mta-642-x', 'TLS 1.3', 'TLS_AES_256_GCM_SHA384', null],
    ['Exchange short', 'by x.example.com (192.0.2.1) with Microsoft SMTP Server (TLS) id 15.0.1',
      VERSION_NOT_STATED, null, null],
    ['Google Transport Security', 'by mx.google.com with SMTPS id x for <u@example.com> ' +
      '(Google Transport Security)', VERSION_NOT_STATED, null, null],
    ['a generic comment naming a version', 'by gw.example.com (Generic MTA with TLSv1.2) ' +
      'with ESMTP id 1', 'TLS 1.2', null, null],
    ['Postfix without version', 'from a (a [192.0.2.1]) (using TLS with cipher ' +
      'ECDHE-RSA-AES256-SHA384 (256/256 bits)) by mx01.example.it () with ESMTPS',
      VERSION_NOT_STATED, 'ECDHE-RSA-AES256-SHA384', 256],
    ['Comcast bits without parentheses', 'from o (o [192.0.2.249]) (using TLSv1.2 with cipher ' +
      'ECDHE-RSA-AES256-GCM-SHA384 256/256 bits) by r.comcast.net with ESMTPS',
      'TLS 1.2', 'ECDHE-RSA-AES256-GCM-SHA384', 256],
    ['a comment after the date (Yandex)', 'from a ([192.0.2.1]) by mx.yandex.example with ESMTPS ' +
      'id x; Mon, 1 Jan 2019 00:00:00 +0300 (using TLSv1.2 with cipher ' +
      'ECDHE-RSA-AES128-GCM-SHA256 (128/128 bits))', 'TLS 1.2', 'ECDHE-RSA-AES128-GCM-SHA256',
      128],
    ['Postfix form without a cipher', 'from a (a [192.0.2.1]) (using TLSv1.2) by b.example.com ' +
      'with ESMTPS', 'TLS 1.2', null, null],
    ['form with single bits and verified FAIL', 'from a (a [192.0.2.1]) (using TLSv1.2 with ' +
      'cipher AES256-SHA (256 bits) verified FAIL) by b.example.com with ESMTPS', 'TLS 1.2',
      'AES256-SHA', 256],
    ['form without bits', 'from a (a [192.0.2.1]) (using TLSv1.2 with cipher AES128-SHA) ' +
      'by b.example.com with ESMTPS', 'TLS 1.2', 'AES128-SHA', null],
    ['OpenSSL 3 suite name', 'from a (a [192.0.2.1]) (using TLSv1.3 with cipher ' +
      'TLS13_AES_256_GCM_SHA384 (256/256 bits)) by b.example.com with ESMTPS', 'TLS 1.3',
      'TLS13_AES_256_GCM_SHA384', 256],
    ['Exim 4.92 form with TLS1', 'by l.example.com with esmtps (TLS1) tls ' +
      'ECDHE_RSA_AES_256_CBC_SHA1 (Exim 4.94)', 'TLS 1.0', 'ECDHE_RSA_AES_256_CBC_SHA1', null],
    ['Exim custom tls_cipher comment', 'by s.example.net with local-esmtps ' +
      '(tls_cipher TLS-1.0:RSA_AES_256_CBC_SHA:32)', 'TLS 1.0', 'RSA_AES_256_CBC_SHA', 32],
    ['Gmail legacy form with cipher=OTHER', 'by mx.google.com with ESMTPS id x for ' +
      '<u@example.com> (version=TLSv1/SSLv3 cipher=OTHER)', VERSION_NOT_STATED, null, null],
  ])('reads the %s', (_label, body, protocol, cipher, bits) => {
    const m = markersOf(body);
    expect(m.state).toBe('stated');
    expect(m.protocol).toBe(protocol);
    expect(m.cipher).toBe(cipher);
    expect(m.bits).toBe(bits);
  });

  it.each([
    ['ESMTPS', true], ['esmtpsa', true], ['UTF8SMTPSA', true], ['LMTPS', true],
    ['local-esmtps', true], ['utf8esmtpsa', true], ['SMTPS', true], ['HTTPS', true],
    ['ESMTP', false], ['esmtpa', false], ['UTF8SMTP', false], ['LMTP', false], ['HTTP', false],
  ])('reads the transmission type %s as TLS: %s', (type, tls) => {
    expect(markersOf(`by b.example.com with ${type} id 1`).state).toBe(tls ? 'stated' : 'none');
  });

  it('reads an explicit negative as stated-absent', () => {
    const m = markersOf('from a ([192.0.2.1]) (not using TLS) by b.example.com with ESMTP id 1');
    expect(m.state).toBe('stated-absent');
    expect(m.protocol).toBeNull();
  });

  it('does not take sendmail\'s "(authenticated bits=0)" or envelope comments for TLS', () => {
    const m = markersOf(
      'from a ([192.0.2.1]) (authenticated bits=0) by b.example.com (8.15.2/8.15.2) with ESMTPA ' +
        'id 1 (envelope-from <tls@example.com>)',
    );
    expect(m.state).toBe('none');
  });

  it('keeps the raw marker texts', () => {
    const m = markersOf(
      'by mx.example.com with ESMTPS id 1 for <u@example.com> ' +
        '(version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256)',
    );
    expect(m.markers).toContain('ESMTPS');
    expect(m.markers).toContain('version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256');
  });
});
