/**
 * The mxtls library: everything the CLI does, for other programs to call. The CLI in
 * src/cli/ is only a thin layer over these entry points; the README lists them.
 */
export * from './errors.js';

// DNS: the resolver and the mail hosts of a domain.
export type * from './dns/types.js';
export { createResolver } from './dns/resolver.js';
export { systemNameserver, parseServer } from './dns/resolv-conf.js';
export { resolveMailHosts } from './dns/mx.js';

// The probe: SMTP, STARTTLS and TLS of one address, one host, one domain.
export * from './probe/types.js';
export { probeHost } from './probe/host.js';
export { probeDomain, probeHostByName } from './probe/domain.js';
export { judgeDomain } from './probe/verdict.js';
export { parseReplyLine, ReplyParser, ReplyReader } from './smtp/reply.js';
export { parseExtensions } from './smtp/extensions.js';
export { SmtpSession } from './smtp/session.js';
export { matchesDnsName, matchesHost, normalizeHostName } from './tls/name-match.js';
export { DEFAULT_PROFILE, LEGACY_PROFILE, type TlsProfile } from './tls/context.js';
export { summarizeCertificate, judgeCertificate } from './tls/certificate.js';

// Policies a domain publishes: MTA-STS, TLS-RPT, DANE, REQUIRETLS, TLS versions.
export * from './policy/index.js';

// Trace analysis of a received message, and its comparison with probes.
export * from './trace/index.js';
export * from './compare/index.js';

// Bulk scans, run files, diffs and scheduled watches.
export * from './scan/index.js';
