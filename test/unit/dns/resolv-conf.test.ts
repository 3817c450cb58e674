/**
 * Reading the system nameserver from a resolv.conf file and parsing `--resolver` values.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { formatServer, parseServer, systemNameserver } from '../../../src/dns/resolv-conf.js';

const dir = mkdtempSync(join(tmpdir(), 'mxtls-resolv-'));

function resolvConf(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('systemNameserver', () => {
  it('returns the first nameserver line, skipping comments and other options', () => {
    const path = resolvConf(
      'two',
      '# nameserver 127.0.1.9\nsearch example.test\n; comment\n' +
        'nameserver 127.0.1.53  # local\nnameserver 127.0.1.54\n',
    );
    expect(systemNameserver(path)).toBe('127.0.1.53');
  });

  it('returns an IPv6 nameserver with its zone index', () => {
    const path = resolvConf('v6', 'options edns0 trust-ad\nnameserver fe80::1%lo\n');
    expect(systemNameserver(path)).toBe('fe80::1%lo');
    expect(parseServer(systemNameserver(path))).toEqual({ host: 'fe80::1%lo', port: 53 });
  });

  it('skips a nameserver line that is not an address', () => {
    const path = resolvConf('bad', 'nameserver dns.example.test\nnameserver ::1\n');
    expect(systemNameserver(path)).toBe('::1');
  });

  it('throws a DnsError naming the file when there is no nameserver', () => {
    const path = resolvConf('none', 'search example.test\n');
    expect(() => systemNameserver(path)).toThrowError(/no nameserver line in ".*none"/);
    try {
      systemNameserver(path);
    } catch (error) {
      expect(error).toMatchObject({ name: 'DnsError', code: 'MXTLS_INPUT', target: path });
    }
  });

  it('throws a DnsError when the file cannot be read', () => {
    expect(() => systemNameserver(join(dir, 'missing'))).toThrowError(/cannot read/);
  });
});

describe('parseServer', () => {
  it.each([
    ['127.0.1.53', { host: '127.0.1.53', port: 53 }],
    ['127.0.1.53:5353', { host: '127.0.1.53', port: 5353 }],
    ['::1', { host: '::1', port: 53 }],
    ['[::1]:5300', { host: '::1', port: 5300 }],
    ['[::1]', { host: '::1', port: 53 }],
    ['2001:db8::53', { host: '2001:db8::53', port: 53 }],
    [' 127.0.1.1 ', { host: '127.0.1.1', port: 53 }],
  ])('reads %j', (spec, expected) => {
    expect(parseServer(spec)).toEqual(expected);
  });

  it.each(['dns.example.test', 'dns.example.test:53', '[dns.example.test]:53', '', '127.0.1'])(
    'refuses %j, which is not an IP address',
    (spec) => {
      expect(() => parseServer(spec)).toThrowError(/not an IP address/);
    },
  );

  it.each(['127.0.1.1:0', '127.0.1.1:65536', '127.0.1.1:x', '[::1]:', '127.0.1.1:'])(
    'refuses the bad port in %j with a UsageError',
    (spec) => {
      const usage = expect.objectContaining({ code: 'MXTLS_USAGE' });
      expect(() => parseServer(spec)).toThrowError(usage);
    },
  );

  it('formats IPv6 servers with brackets so that the port stays readable', () => {
    expect(formatServer({ host: '::1', port: 53 })).toBe('[::1]:53');
    expect(formatServer({ host: '127.0.1.1', port: 5353 })).toBe('127.0.1.1:5353');
  });
});
