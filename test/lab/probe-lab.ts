/**
 * The lab the probe and CLI suites share: four real Postfix servers on 127.0.10.1-4 and a DNS
 * test server whose zone points a set of *.test domains at them.
 *
 *   mx1.good.test   127.0.10.1  STARTTLS, RSA-2048 chain from the test CA, expires in 90 days
 *   mx2.plain.test  127.0.10.2  no STARTTLS
 *   mx3.wrong.test  127.0.10.3  STARTTLS, a verifying chain for another name
 *   mx4.tls12.test  127.0.10.4  STARTTLS limited to TLS 1.2, EC P-256 chain
 */
import { makeCa, opensslDate, type TestCa } from '../helpers/certs.js';
import { makeLeaf } from '../helpers/certs.js';
import { startDnsServer, type TestDnsServer, type Zone } from '../helpers/dns-server.js';
import { startPostfix, type PostfixInstance } from './postfix.js';

const DAY_MS = 86_400_000;

/** The servers of the lab, by role. */
export const LAB_HOSTS = {
  good: { host: 'mx1.good.test', address: '127.0.10.1' },
  plain: { host: 'mx2.plain.test', address: '127.0.10.2' },
  wrong: { host: 'mx3.wrong.test', address: '127.0.10.3' },
  tls12: { host: 'mx4.tls12.test', address: '127.0.10.4' },
} as const;

export type LabRole = keyof typeof LAB_HOSTS;

/** Days to expiry the good server's leaf is made with (plus a few hours, so rounding is moot). */
export const GOOD_DAYS_TO_EXPIRY = 90;

/** The zone: which domain exercises which rule of the MX plan. */
export const LAB_ZONE: Zone = {
  'good.test': { MX: [{ preference: 10, exchange: 'mx1.good.test' }] },
  'plain.test': { MX: [{ preference: 10, exchange: 'mx2.plain.test' }] },
  'wrong.test': { MX: [{ preference: 10, exchange: 'mx3.wrong.test' }] },
  'tls12.test': { MX: [{ preference: 10, exchange: 'mx4.tls12.test' }] },
  // Listed out of order, so that sorting by preference is visible.
  'multi.test': {
    MX: [
      { preference: 30, exchange: 'mx2.plain.test' },
      { preference: 10, exchange: 'mx1.good.test' },
      { preference: 20, exchange: 'mx4.tls12.test' },
    ],
  },
  'nullmx.test': { MX: [{ preference: 0, exchange: '.' }] },
  // No MX: the domain's own address is its mail host (RFC 5321 5.1).
  'implicit.test': { A: [LAB_HOSTS.good.address] },
  'noaddr.test': {
    MX: [
      { preference: 10, exchange: 'ghost.noaddr.test' },
      { preference: 20, exchange: 'mx1.good.test' },
    ],
  },
  'ghostonly.test': { MX: [{ preference: 10, exchange: 'ghost.noaddr.test' }] },
  'broken.test': { servfail: true },
  'mx1.good.test': { A: [LAB_HOSTS.good.address] },
  'mx2.plain.test': { A: [LAB_HOSTS.plain.address] },
  'mx3.wrong.test': { A: [LAB_HOSTS.wrong.address] },
  'mx4.tls12.test': { A: [LAB_HOSTS.tls12.address] },
};

export interface ProbeLab {
  ca: TestCa;
  dns: TestDnsServer;
  servers: Record<LabRole, PostfixInstance>;
  /** Stops every server; safe to call after a failed start. */
  stop(): Promise<void>;
}

/** Starts the four servers and the DNS server. */
export async function startProbeLab(): Promise<ProbeLab> {
  const ca = makeCa('mxtls Lab CA');
  const now = Date.now();
  const goodLeaf = makeLeaf(ca, {
    names: [LAB_HOSTS.good.host, 'implicit.test'],
    keyType: 'rsa2048',
    endDate: opensslDate(new Date(now + GOOD_DAYS_TO_EXPIRY * DAY_MS + 6 * 3_600_000)),
  });
  const wrongLeaf = makeLeaf(ca, { names: ['somewhere-else.test'] });
  const tls12Leaf = makeLeaf(ca, { names: [LAB_HOSTS.tls12.host], keyType: 'ec256' });

  const started: PostfixInstance[] = [];
  let dns: TestDnsServer | undefined;
  const stop = async (): Promise<void> => {
    await Promise.all(started.map((s) => s.stop()));
    await dns?.close();
  };
  try {
    const tlsOf = (leaf: { chainFile: string; keyFile: string }) => ({
      chainFile: leaf.chainFile,
      keyFile: leaf.keyFile,
      preferServerCiphers: true,
    });
    const specs = [
      { role: 'good', tls: tlsOf(goodLeaf) },
      { role: 'plain', tls: undefined },
      { role: 'wrong', tls: tlsOf(wrongLeaf) },
      { role: 'tls12', tls: { ...tlsOf(tls12Leaf), maxProtocol: 'TLSv1.2' as const } },
    ] as const;
    const servers = {} as Record<LabRole, PostfixInstance>;
    await Promise.all(specs.map(async (spec) => {
      const { host, address } = LAB_HOSTS[spec.role];
      const instance = await startPostfix({ addresses: [address], hostname: host, tls: spec.tls });
      started.push(instance);
      servers[spec.role] = instance;
    }));
    dns = await startDnsServer({ zone: LAB_ZONE });
    return { ca, dns, servers, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
