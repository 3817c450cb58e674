/**
 * The mxtls library: everything the CLI does, for other programs to call. The CLI in
 * src/cli/ is only a thin layer over these entry points.
 */
export * from './errors.js';
export type * from './dns/types.js';
export * from './probe/types.js';
export { createResolver } from './dns/resolver.js';
export { systemNameserver, parseServer } from './dns/resolv-conf.js';
export { resolveMailHosts } from './dns/mx.js';
export { probeHost } from './probe/host.js';
export { parseReplyLine, ReplyParser, ReplyReader } from './smtp/reply.js';
export { parseExtensions } from './smtp/extensions.js';
export { SmtpSession } from './smtp/session.js';
export { matchesDnsName, matchesHost, normalizeHostName } from './tls/name-match.js';
export * from './policy/index.js';
export * from './trace/index.js';
export { probeDomain, probeHostByName } from './probe/domain.js';
export * from './scan/index.js';
export { DEFAULT_PROFILE, LEGACY_PROFILE, type TlsProfile } from './tls/context.js';
export { summarizeCertificate, judgeCertificate } from './tls/certificate.js';
export { judgeDomain } from './probe/verdict.js';
export * from './compare/index.js';
