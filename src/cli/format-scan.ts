/**
 * The table `mxtls scan` prints: one row per MX address, and one row for a domain (or an
 * exchange) that has no address to probe, so that every domain asked about appears.
 */
import { sanitize } from '../errors.js';
import { policyCells } from '../policy/summary.js';
import type { DomainResult, HostResult } from '../probe/types.js';

/** The columns of the scan table, in order. */
export const SCAN_COLUMNS = [
  'DOMAIN', 'PREF', 'HOST', 'ADDRESS', 'STARTTLS', 'PROTOCOL', 'CIPHER', 'CERTIFICATE', 'EXPIRY',
  'MTA-STS', 'DANE',
] as const;

/** One row: a cell per column of SCAN_COLUMNS, already printable. */
export type ScanRow = string[];

const NONE = '-';

/** What the STARTTLS column says for one address. */
function starttlsCell(result: HostResult): string {
  if (result.outcome === 'tls') return 'yes';
  if (result.outcome === 'starttls-not-offered') return 'no';
  if (result.outcome === 'starttls-refused' && result.starttlsReply) {
    return `refused ${result.starttlsReply.code}`;
  }
  if (result.outcome === 'timeout' && result.error?.phase) {
    return `timeout (${result.error.phase})`;
  }
  return result.outcome;
}

function hostRow(domain: string, preference: number, result: HostResult): ScanRow {
  const tls = result.tls;
  return [
    domain,
    String(preference),
    sanitize(result.host, 100),
    result.address,
    starttlsCell(result),
    tls ? `${tls.protocol}${tls.legacyRetry ? ' (legacy)' : ''}` : NONE,
    tls ? sanitize(tls.cipher.name, 60) : NONE,
    tls ? tls.certificate.summary : NONE,
    tls ? String(tls.certificate.daysToExpiry) : NONE,
  ];
}

/** The domain's policy cells; the same on every row of the domain, `-` when not checked. */
function policyRow(result: DomainResult): string[] {
  const cells = policyCells(result.policy);
  return [sanitize(cells.mtaSts, 40), sanitize(cells.dane, 20)];
}

/** Words for a domain that has nothing to probe, by its verdict. */
const DOMAIN_ONLY: Record<string, string> = {
  'no-mail': 'null MX: accepts no mail',
  'not-found': 'not found',
  error: 'DNS error',
};

/** The rows of one domain's result, in preference order. */
export function formatScanRows(result: DomainResult): ScanRow[] {
  const domain = sanitize(result.domain, 100);
  const rows: ScanRow[] = [];
  for (const exchange of result.exchanges) {
    if (exchange.hosts.length === 0) {
      const why = exchange.addressOutcome === 'error' ? 'address lookup failed' : 'no address';
      rows.push([domain, String(exchange.preference), sanitize(exchange.host, 100), NONE, why,
        NONE, NONE, NONE, NONE, ...policyRow(result)]);
      continue;
    }
    for (const host of exchange.hosts) {
      rows.push([...hostRow(domain, exchange.preference, host), ...policyRow(result)]);
    }
  }
  if (rows.length === 0) {
    const label = result.dns.outcome === 'nxdomain' ? 'NXDOMAIN: domain does not exist'
      : (DOMAIN_ONLY[result.verdict] ?? result.verdict);
    rows.push([domain, NONE, NONE, NONE, label, NONE, NONE, NONE, NONE, NONE, NONE]);
  }
  return rows;
}

/** Lines of a table with a header: columns padded to their widest cell, two spaces apart. */
export function formatScanTable(rows: ScanRow[]): string[] {
  const all: ScanRow[] = [[...SCAN_COLUMNS], ...rows];
  const widths = SCAN_COLUMNS.map((_, column) =>
    Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all.map((row) =>
    row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd());
}
