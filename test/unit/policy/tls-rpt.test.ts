import { describe, expect, it } from 'vitest';
import { checkDestination, checkTlsRpt, parseTlsRptRecord } from '../../../src/policy/tls-rpt.js';
import { fakeResolver, txt } from './fake-resolver.js';

describe('parseTlsRptRecord', () => {
  it('reads mailto and https destinations separated by commas with white space', () => {
    const result = parseTlsRptRecord(
      'v=TLSRPTv1; rua=mailto:tls-reports@example.test , https://reports.example.test/v1;');
    expect(result.verdict).toBe('present');
    expect(result.severity).toBe('ok');
    expect(result.rua).toEqual([
      { uri: 'mailto:tls-reports@example.test', scheme: 'mailto', valid: true },
      { uri: 'https://reports.example.test/v1', scheme: 'https', valid: true },
    ]);
  });

  it('flags destinations that cannot receive reports', () => {
    const result = parseTlsRptRecord('v=TLSRPTv1; rua=http://reports.example.test,mailto:nobody');
    expect(result.verdict).toBe('present');
    expect(result.severity).toBe('warning');
    expect(result.rua.map((d) => d.valid)).toEqual([false, false]);
    expect(result.warnings.map((w) => w.value)).toEqual(['http://reports.example.test',
      'mailto:nobody']);
  });

  it('rejects a record without rua, with rua twice, or with the wrong version', () => {
    expect(parseTlsRptRecord('v=TLSRPTv1;').detail).toBe(
      'The TLS-RPT record is not valid: the record has no rua field');
    expect(parseTlsRptRecord('v=TLSRPTv1; rua=mailto:a@b.test; rua=mailto:c@d.test').verdict)
      .toBe('invalid');
    expect(parseTlsRptRecord('v=TLSRPTv2; rua=mailto:a@b.test').verdict).toBe('invalid');
  });

  it('accepts a mailto with a query and decodes escapes in the address', () => {
    expect(checkDestination('mailto:tls%2Brpt@example.test?subject=x').valid).toBe(true);
    expect(checkDestination('mailto:%E0%A4%A@example.test').valid).toBe(false);
  });
});

describe('checkTlsRpt', () => {
  it('joins several strings of one record and ignores other TXT records', async () => {
    const resolver = fakeResolver({ '_smtp._tls.example.test TXT': { records: [
      txt('_smtp._tls.example.test', 'v=TLSRPTv1; ', 'rua=mailto:r@example.test'),
      txt('_smtp._tls.example.test', 'something else'),
    ] } });
    const result = await checkTlsRpt('example.test', resolver);
    expect(result.verdict).toBe('present');
    expect(result.raw).toBe('v=TLSRPTv1; rua=mailto:r@example.test');
  });

  it('tells absent, duplicated and failed lookups apart', async () => {
    expect((await checkTlsRpt('example.test', fakeResolver({}))).verdict).toBe('absent');
    const two = fakeResolver({ '_smtp._tls.example.test TXT': { records: [
      txt('_smtp._tls.example.test', 'v=TLSRPTv1; rua=mailto:a@example.test'),
      txt('_smtp._tls.example.test', 'v=TLSRPTv1; rua=mailto:b@example.test'),
    ] } });
    expect((await checkTlsRpt('example.test', two)).verdict).toBe('invalid');
    const failing = fakeResolver({ '_smtp._tls.example.test TXT': { servfail: true } });
    const failed = await checkTlsRpt('example.test', failing);
    expect(failed.verdict).toBe('error');
    expect(failed.error?.code).toBe('MXTLS_DNS_SERVFAIL');
  });
});
