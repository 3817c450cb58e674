/**
 * A Resolver for unit tests that answers from a table: per "name TYPE" an answer, an error
 * to throw, or nothing (NXDOMAIN). It records the questions asked, so tests can check that
 * a lookup was not made.
 */
import { DnsError } from '../../../src/errors.js';
import type { DnsAnswer, RecordType, Resolver, ResourceRecord } from '../../../src/dns/types.js';

export interface FakeEntry {
  records?: ResourceRecord[];
  authenticated?: boolean;
  rcode?: 'NOERROR' | 'NXDOMAIN';
  servfail?: boolean;
}

export interface FakeResolver extends Resolver {
  asked: string[];
}

export function fakeResolver(table: Record<string, FakeEntry>): FakeResolver {
  const asked: string[] = [];
  return {
    server: '127.0.40.250:53',
    asked,
    async query(name: string, type: RecordType): Promise<DnsAnswer> {
      const key = `${name.toLowerCase()} ${type}`;
      asked.push(key);
      const entry = table[key];
      if (entry?.servfail) {
        throw new DnsError('MXTLS_DNS_SERVFAIL', `Cannot resolve "${name}" ${type}: SERVFAIL`,
          { phase: 'dns' });
      }
      return {
        name, type, rcode: entry ? entry.rcode ?? 'NOERROR' : 'NXDOMAIN',
        records: entry?.records ?? [], aliases: [], authenticated: entry?.authenticated ?? false,
        tcp: false,
      };
    },
  };
}

export function txt(name: string, ...strings: string[]): ResourceRecord {
  return { type: 'TXT', name, ttl: 300, strings };
}

export function a(name: string, address: string): ResourceRecord {
  return { type: 'A', name, ttl: 300, address };
}
