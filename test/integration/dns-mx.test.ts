/**
 * resolveMailHosts against the test DNS server: the null MX, implicit MX, MX-to-CNAME,
 * NXDOMAIN and mixed null-MX domains of field case C21, and a failing lookup.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { resolveMailHosts } from '../../src/dns/mx.js';
import { createResolver } from '../../src/dns/resolver.js';
import type { Resolver } from '../../src/dns/types.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';

let server: TestDnsServer;
let resolver: Resolver;

beforeAll(async () => {
  server = await startDnsServer({
    zone: {
      'nomail.example': { MX: [{ preference: 0, exchange: '.' }], A: ['127.0.1.20'] },
      'implicit.example': { A: ['192.0.2.25'] },
      'alias.example': { MX: [{ preference: 10, exchange: 'mx.alias.example' }] },
      'mx.alias.example': { CNAME: 'real-mx.example.net' },
      'real-mx.example.net': { A: ['192.0.2.26'] },
      'mixed.example': {
        MX: [
          { preference: 0, exchange: '.' },
          { preference: 10, exchange: 'mx.mixed.example' },
        ],
      },
      'mx.mixed.example': { A: ['127.0.1.21'] },
      'txtonly.example': { TXT: [['v=spf1 -all']] },
      'failing.example': { servfail: true },
    },
  });
  resolver = createResolver({ server: server.address, timeoutMs: 2000, retries: 0 });
});

afterAll(async () => {
  await server.close();
});

describe('resolveMailHosts (C21)', () => {
  it('a) reports a null MX and plans nothing, without asking for addresses', async () => {
    const before = server.queries.length;
    const plan = await resolveMailHosts('nomail.example', resolver);
    expect(plan.outcome).toBe('null-mx');
    expect(plan.exchanges).toEqual([]);
    expect(server.queries.slice(before).map((q) => q.type)).toEqual(['MX']);
  });

  it('b) falls back to the implicit MX of a domain with only an address', async () => {
    const plan = await resolveMailHosts('implicit.example', resolver);
    expect(plan.outcome).toBe('implicit-mx');
    expect(plan.exchanges).toEqual([
      {
        host: 'implicit.example',
        preference: 0,
        implicit: true,
        addressOutcome: 'ok',
        addresses: [{ address: '192.0.2.25', family: 4 }],
      },
    ]);
  });

  it('c) follows an MX target that is a CNAME and flags it', async () => {
    const plan = await resolveMailHosts('alias.example', resolver);
    expect(plan.outcome).toBe('mx');
    expect(plan.flags).toContain('mx-is-alias');
    expect(plan.exchanges[0]).toMatchObject({
      host: 'mx.alias.example',
      aliasOf: 'real-mx.example.net',
      addressOutcome: 'ok',
      addresses: [{ address: '192.0.2.26', family: 4 }],
    });
  });

  it('d) reports a domain that does not exist', async () => {
    const plan = await resolveMailHosts('nx.example', resolver);
    expect(plan.outcome).toBe('nxdomain');
    expect(plan.exchanges).toEqual([]);
  });

  it('e) flags a null MX beside other MX records and plans only the others', async () => {
    const plan = await resolveMailHosts('mixed.example', resolver);
    expect(plan.outcome).toBe('mx');
    expect(plan.flags).toEqual(['null-mx-mixed']);
    expect(plan.exchanges.map((e) => e.host)).toEqual(['mx.mixed.example']);
    expect(plan.exchanges[0]?.addresses).toEqual([{ address: '127.0.1.21', family: 4 }]);
  });

  it('reports no mail hosts when there is neither MX nor address', async () => {
    const plan = await resolveMailHosts('txtonly.example', resolver);
    expect(plan.outcome).toBe('no-mail-hosts');
  });

  it('reports a failed MX lookup as an error, never as "no MX"', async () => {
    const plan = await resolveMailHosts('failing.example', resolver);
    expect(plan.outcome).toBe('error');
    expect(plan.error?.code).toBe('MXTLS_DNS_SERVFAIL');
    expect(plan.error?.target).toBe(server.address);
  });
});
