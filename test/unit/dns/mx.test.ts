/**
 * resolveMailHosts over a scripted resolver: preference order, duplicates, IP-literal
 * exchanges, and what happens when one address family or the MX lookup fails.
 */
import { describe, expect, it } from 'vitest';

import { DnsError } from '../../../src/errors.js';
import { MAX_EXCHANGES, resolveMailHosts } from '../../../src/dns/mx.js';
import type { DnsAnswer, RecordType, Resolver, ResourceRecord } from '../../../src/dns/types.js';

type Script = Record<string, Partial<Record<RecordType, ResourceRecord[] | Error | 'NXDOMAIN'>>>;

/** A resolver that answers from a script and records what it was asked. */
function scriptedResolver(script: Script): Resolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    server: '127.0.1.1:53',
    asked,
    async query(name: string, type: RecordType): Promise<DnsAnswer> {
      asked.push(`${name} ${type}`);
      const entry = script[name];
      const result = entry?.[type];
      if (result instanceof Error) throw result;
      const base = { name, type, aliases: [], authenticated: false, tcp: false };
      if (!entry || result === 'NXDOMAIN') return { ...base, rcode: 'NXDOMAIN', records: [] };
      return { ...base, rcode: 'NOERROR', records: result ?? [] };
    },
  };
}

const mx = (preference: number, exchange: string): ResourceRecord => ({
  type: 'MX',
  name: 'example.test',
  ttl: 60,
  preference,
  exchange,
});
const a = (name: string, address: string): ResourceRecord => ({
  type: 'A',
  name,
  ttl: 60,
  address,
});
const aaaa = (name: string, address: string): ResourceRecord => ({
  type: 'AAAA',
  name,
  ttl: 60,
  address,
});

const timeout = () => new DnsError('MXTLS_DNS_TIMEOUT', 'Cannot resolve: no answer', {});

describe('resolveMailHosts', () => {
  it('sorts exchanges by preference and keeps the server order for ties', async () => {
    const resolver = scriptedResolver({
      'example.test': {
        MX: [mx(30, 'c.example.test'), mx(10, 'b.example.test'), mx(10, 'a.example.test')],
      },
      'a.example.test': { A: [a('a.example.test', '127.0.1.1')] },
      'b.example.test': { A: [a('b.example.test', '127.0.1.2')] },
      'c.example.test': { A: [a('c.example.test', '127.0.1.3')] },
    });
    const plan = await resolveMailHosts('EXAMPLE.test.', resolver);
    expect(plan.domain).toBe('example.test');
    expect(plan.exchanges.map((e) => `${e.preference} ${e.host}`)).toEqual([
      '10 b.example.test',
      '10 a.example.test',
      '30 c.example.test',
    ]);
  });

  it('lists IPv4 before IPv6 and resolves each duplicate exchange once', async () => {
    const resolver = scriptedResolver({
      'example.test': { MX: [mx(20, 'mx.example.test'), mx(10, 'mx.example.test')] },
      'mx.example.test': {
        A: [a('mx.example.test', '127.0.1.5')],
        AAAA: [aaaa('mx.example.test', '::1')],
      },
    });
    const plan = await resolveMailHosts('example.test', resolver);
    expect(plan.exchanges).toHaveLength(1);
    expect(plan.exchanges[0]?.preference).toBe(10);
    expect(plan.exchanges[0]?.addresses).toEqual([
      { address: '127.0.1.5', family: 4 },
      { address: '::1', family: 6 },
    ]);
    expect(resolver.asked.filter((q) => q === 'mx.example.test A')).toHaveLength(1);
  });

  it('keeps the answered family when the other one fails, and notes the error', async () => {
    const resolver = scriptedResolver({
      'example.test': { MX: [mx(10, 'mx.example.test')] },
      'mx.example.test': { A: [a('mx.example.test', '127.0.1.6')], AAAA: timeout() },
    });
    const [exchange] = (await resolveMailHosts('example.test', resolver)).exchanges;
    expect(exchange?.addressOutcome).toBe('ok');
    expect(exchange?.addresses).toEqual([{ address: '127.0.1.6', family: 4 }]);
    expect(exchange?.addressError?.code).toBe('MXTLS_DNS_TIMEOUT');
  });

  it('marks an exchange whose lookups fail as an error, not as having no address', async () => {
    const resolver = scriptedResolver({
      'example.test': { MX: [mx(10, 'mx.example.test')] },
      'mx.example.test': { A: timeout(), AAAA: [] },
    });
    const [exchange] = (await resolveMailHosts('example.test', resolver)).exchanges;
    expect(exchange?.addressOutcome).toBe('error');
    expect(exchange?.addressError?.code).toBe('MXTLS_DNS_TIMEOUT');
  });

  it('marks an exchange without A or AAAA as no-address', async () => {
    const resolver = scriptedResolver({
      'example.test': { MX: [mx(10, 'ghost.example.test')] },
    });
    const [exchange] = (await resolveMailHosts('example.test', resolver)).exchanges;
    expect(exchange?.addressOutcome).toBe('no-address');
    expect(exchange?.addressError).toBeUndefined();
  });

  it('flags an IP-literal exchange and does not resolve it', async () => {
    const resolver = scriptedResolver({
      'example.test': { MX: [mx(10, '192.0.2.7'), mx(20, 'mx.example.test')] },
      'mx.example.test': { A: [a('mx.example.test', '127.0.1.7')] },
    });
    const plan = await resolveMailHosts('example.test', resolver);
    expect(plan.flags).toEqual(['mx-is-ip']);
    expect(plan.exchanges[0]).toMatchObject({ host: '192.0.2.7', addressOutcome: 'no-address' });
    expect(plan.exchanges[1]?.addressOutcome).toBe('ok');
    expect(resolver.asked).not.toContain('192.0.2.7 A');
  });

  it('reports an error when the implicit-MX address lookups fail', async () => {
    const resolver = scriptedResolver({
      'example.test': { MX: [], A: timeout(), AAAA: timeout() },
    });
    const plan = await resolveMailHosts('example.test', resolver);
    expect(plan.outcome).toBe('error');
    expect(plan.error?.code).toBe('MXTLS_DNS_TIMEOUT');
  });

  it('turns a thrown MX lookup into an error outcome with the ErrorInfo', async () => {
    const resolver = scriptedResolver({ 'example.test': { MX: timeout() } });
    const plan = await resolveMailHosts('example.test', resolver);
    expect(plan).toMatchObject({
      outcome: 'error',
      exchanges: [],
      error: { code: 'MXTLS_DNS_TIMEOUT' },
    });
  });

  it('resolves at most MAX_EXCHANGES exchanges and flags the cut', async () => {
    const count = MAX_EXCHANGES + 5;
    const records = Array.from({ length: count }, (_, i) => mx(i, `mx${i}.example.test`));
    const resolver = scriptedResolver({ 'example.test': { MX: records } });
    const plan = await resolveMailHosts('example.test', resolver);
    expect(plan.exchanges).toHaveLength(MAX_EXCHANGES);
    expect(plan.flags).toContain('mx-limit-reached');
    expect(resolver.asked.filter((q) => q.endsWith(' A'))).toHaveLength(MAX_EXCHANGES);
  });
});
