/** Builders of HostResult and DomainResult values for the scan unit tests. */
import type { DomainResult, HostResult } from '../../../src/probe/types.js';

export interface HostShape {
  host?: string;
  address?: string;
  port?: number;
  outcome?: HostResult['outcome'];
  temporary?: boolean;
  protocol?: string;
  certificate?: 'verified' | 'untrusted' | 'name-mismatch' | 'expired' | 'not-yet-valid';
  daysToExpiry?: number;
  errorCode?: string;
}

export function hostResult(shape: HostShape = {}): HostResult {
  const outcome = shape.outcome ?? 'tls';
  const result: HostResult = {
    host: shape.host ?? 'mx1.fleet.test',
    address: shape.address ?? '127.0.30.1',
    family: 4,
    port: shape.port ?? 25,
    outcome,
    detail: outcome,
    temporary: shape.temporary ?? false,
    starttls: outcome === 'starttls-not-offered' ? 'not-offered' : 'offered',
    timings: { total: 1 },
  };
  if (outcome === 'tls') {
    const summary = shape.certificate ?? 'verified';
    const days = shape.daysToExpiry ?? 200;
    result.tls = {
      protocol: shape.protocol ?? 'TLSv1.3',
      cipher: { name: 'TLS_AES_128_GCM_SHA256' },
      legacyRetry: false,
      chain: [{
        subject: 'CN=x', dnsNames: [], ipAddresses: [], issuer: 'CN=ca',
        validFrom: '2026-01-01T00:00:00Z', validTo: '2027-06-01T00:00:00Z', sha256: 'AA',
      }],
      certificate: {
        chainVerified: summary === 'verified', nameMatches: summary !== 'name-mismatch',
        checkedName: result.host, expired: summary === 'expired' || days < 0,
        notYetValid: false, daysToExpiry: days, summary,
      },
    };
  }
  if (shape.errorCode) {
    result.error = { code: shape.errorCode, message: shape.errorCode };
  }
  return result;
}

export interface DomainShape {
  verdict?: DomainResult['verdict'];
  dns?: DomainResult['dns']['outcome'];
  dnsError?: string;
  /** One exchange per distinct host name, in order. */
  hosts?: HostShape[];
}

export function domainResult(domain: string, shape: DomainShape = {}): DomainResult {
  const hosts = (shape.hosts ?? [{}]).map(hostResult);
  const names = [...new Set(hosts.map((h) => h.host))];
  const result: DomainResult = {
    schema: 'mxtls.scan/1',
    domain,
    checkedAt: '2026-12-03T02:00:00.000Z',
    verdict: shape.verdict ?? 'verified-tls',
    detail: 'test',
    dns: { outcome: shape.dns ?? 'mx', resolver: '127.0.0.1:53' },
    flags: [],
    exchanges: names.map((name, i) => ({
      host: name,
      preference: 10 * (i + 1),
      implicit: false,
      addressOutcome: 'ok',
      hosts: hosts.filter((h) => h.host === name),
    })),
    durationMs: 5,
  };
  if (shape.dnsError) result.dns.error = { code: shape.dnsError, message: shape.dnsError };
  if (shape.dns && shape.dns !== 'mx' && shape.dns !== 'implicit-mx') result.exchanges = [];
  return result;
}
