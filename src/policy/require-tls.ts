/**
 * REQUIRETLS (RFC 8689): whether a server advertises, after STARTTLS, that it will carry the
 * sender's demand for TLS on every later hop. Only the EHLO reply inside TLS counts; an
 * advertisement before STARTTLS could have been injected by anyone on the path.
 */
import type { ExchangeResult } from '../probe/types.js';
import type { RequireTlsResult } from './types.js';

/** Reads the finding from the probe's EHLO replies after STARTTLS. */
export function checkRequireTls(exchanges: readonly ExchangeResult[]): RequireTlsResult {
  const hosts: RequireTlsResult['hosts'] = [];
  for (const exchange of exchanges) {
    for (const host of exchange.hosts) {
      if (!host.extensionsTls) continue;
      const advertised = Object.keys(host.extensionsTls)
        .some((keyword) => keyword.toUpperCase() === 'REQUIRETLS');
      hosts.push({ host: exchange.host, address: host.address, advertised });
    }
  }
  const count = hosts.filter((h) => h.advertised).length;
  if (hosts.length === 0) {
    return { verdict: 'unknown', hosts,
      detail: 'No address completed TLS, so REQUIRETLS could not be asked for' };
  }
  if (count === hosts.length) {
    return { verdict: 'advertised', hosts,
      detail: `All ${hosts.length} addresses advertise REQUIRETLS after STARTTLS` };
  }
  if (count === 0) {
    return { verdict: 'not-advertised', hosts,
      detail: 'No address advertises REQUIRETLS after STARTTLS' };
  }
  return { verdict: 'partial', hosts,
    detail: `${count} of ${hosts.length} addresses advertise REQUIRETLS after STARTTLS` };
}
