import { describe, expect, it } from 'vitest';
import { gradeCipher, hasForwardSecrecy } from '../../../src/policy/cipher-grades.js';

describe('gradeCipher', () => {
  it('has nothing to say about TLS 1.3 or TLS 1.2 with ECDHE and AES-GCM', () => {
    expect(gradeCipher({ protocol: 'TLSv1.3', name: 'TLS_AES_256_GCM_SHA384' })).toEqual([]);
    expect(gradeCipher({ protocol: 'TLSv1.2', name: 'ECDHE-RSA-AES128-GCM-SHA256',
      standardName: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' })).toEqual([]);
  });

  it('flags legacy versions and static RSA key exchange', () => {
    expect(gradeCipher({ protocol: 'TLSv1', name: 'ECDHE-RSA-AES128-SHA' }))
      .toEqual(['legacy-version']);
    expect(gradeCipher({ protocol: 'TLSv1.2', name: 'AES256-GCM-SHA384' }))
      .toEqual(['no-forward-secrecy']);
  });

  it('flags RC4, 3DES, NULL, export and anonymous suites by either name', () => {
    expect(gradeCipher({ protocol: 'TLSv1', name: 'RC4-MD5' }))
      .toEqual(['legacy-version', 'no-forward-secrecy', 'rc4', 'md5-mac']);
    expect(gradeCipher({ protocol: 'TLSv1.2', name: 'DES-CBC3-SHA' }))
      .toEqual(['no-forward-secrecy', '3des']);
    expect(gradeCipher({ protocol: 'TLSv1.2', name: 'x',
      standardName: 'TLS_RSA_WITH_NULL_SHA256' })).toEqual(['no-forward-secrecy', 'null-cipher']);
    expect(gradeCipher({ protocol: 'TLSv1', name: 'EXP-RC4-MD5' }))
      .toContain('export');
    expect(gradeCipher({ protocol: 'TLSv1.2', name: 'AECDH-AES256-SHA' })).toEqual(['anonymous']);
  });

  it('knows DHE suites have forward secrecy', () => {
    expect(hasForwardSecrecy({ protocol: 'TLSv1.2', name: 'DHE-RSA-AES256-GCM-SHA384' }))
      .toBe(true);
    expect(hasForwardSecrecy({ protocol: 'TLSv1.2', name: 'ECDH-RSA-AES128-SHA' }))
      .toBe(false);
  });
});
