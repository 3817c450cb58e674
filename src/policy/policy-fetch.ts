/**
 * Fetches an MTA-STS policy file over HTTPS (RFC 8461 3.3) the way a careful sender does:
 * the certificate must verify for `mta-sts.<domain>`, redirects are not followed, the body is
 * capped and must be text/plain, and the whole exchange has a deadline. The host name is
 * resolved through mxtls's own Resolver, never the system resolver, so that a scan asks the
 * same DNS server for everything.
 */
// The module object, not a named import: test interceptors (msw) replace `https.request` on
// it, and a named import would keep the original function.
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { HttpError, sanitize } from '../errors.js';
import type { Resolver } from '../dns/types.js';

/** RFC 8461 3.3 suggests senders stop reading a policy after 64 KiB. */
export const MAX_POLICY_BYTES = 64 * 1024;

/** How to fetch a policy; only the resolver is required. */
export interface PolicyFetchOptions {
  /** Resolves `mta-sts.<domain>`. */
  resolver: Resolver;
  /** PEM CA certificates to trust instead of the system roots (`--ca-file`). Default: system. */
  ca?: string | Buffer;
  /** Deadline for the whole fetch, in ms. Default 10000. */
  timeoutMs?: number;
  /** HTTPS port, for tests. Default 443. */
  port?: number;
  /** Largest body accepted, in bytes. Default 65536. */
  maxBytes?: number;
  signal?: AbortSignal;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** The URL of a domain's policy file. */
export function policyUrl(domain: string, port?: number): string {
  const authority = port === undefined || port === 443 ? `mta-sts.${domain}`
    : `mta-sts.${domain}:${port}`;
  return `https://${authority}/.well-known/mta-sts.txt`;
}

/**
 * A `lookup` for node:net that asks `resolver` for A and AAAA records. It honours
 * `options.all` because Node's happy-eyeballs connect asks for every address at once.
 */
export function resolverLookup(resolver: Resolver) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolveAddresses(resolver, hostname, options.family).then((addresses) => {
      const first = addresses[0];
      if (!first) {
        const error: NodeJS.ErrnoException = new Error(`No address for "${hostname}"`);
        error.code = 'ENOTFOUND';
        callback(error, options.all ? [] : '', 0);
      } else if (options.all) {
        callback(null, addresses);
      } else {
        callback(null, first.address, first.family);
      }
    }, (error: unknown) => {
      callback(error as NodeJS.ErrnoException, options.all ? [] : '', 0);
    });
  };
}

async function resolveAddresses(
  resolver: Resolver,
  hostname: string,
  family: LookupOptions['family'],
): Promise<LookupAddress[]> {
  const want4 = family !== 6 && family !== 'IPv6';
  const want6 = family !== 4 && family !== 'IPv4';
  const [v4, v6] = await Promise.allSettled([
    want4 ? resolver.query(hostname, 'A') : Promise.resolve(undefined),
    want6 ? resolver.query(hostname, 'AAAA') : Promise.resolve(undefined),
  ]);
  const addresses: LookupAddress[] = [];
  for (const settled of [v4, v6]) {
    if (settled.status !== 'fulfilled' || !settled.value) continue;
    for (const record of settled.value.records) {
      if (record.type === 'A') addresses.push({ address: record.address, family: 4 });
      if (record.type === 'AAAA') addresses.push({ address: record.address, family: 6 });
    }
  }
  // Only when neither family gave an answer is the lookup a failure rather than "no address".
  if (addresses.length === 0 && v4.status === 'rejected') throw v4.reason;
  return addresses;
}

/**
 * Fetches the policy file of `domain` and returns its text. Throws HttpError (code
 * MXTLS_HTTP) for every way the fetch can fail: DNS, connection, certificate, status other
 * than 200 (a redirect included), a content type other than text/plain, a body over the
 * cap, or the deadline.
 */
export function fetchStsPolicy(domain: string, options: PolicyFetchOptions): Promise<string> {
  const url = policyUrl(domain, options.port);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? MAX_POLICY_BYTES;
  const fail = (state: string, cause?: unknown): HttpError =>
    new HttpError('MXTLS_HTTP', `Cannot fetch policy from "${url}": ${state}`,
      { phase: 'http', target: url, cause });

  return new Promise<string>((resolve, reject) => {
    let settled = false;
    const finish = (error: HttpError | undefined, body?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (error) {
        req.destroy();
        reject(error);
      } else {
        resolve(body ?? '');
      }
    };
    const onAbort = (): void => finish(fail('aborted'));

    const req = https.request(url, {
      method: 'GET',
      // A fresh connection per fetch: a pooled one could outlive the scan's deadline.
      agent: false,
      servername: `mta-sts.${domain}`,
      rejectUnauthorized: true,
      lookup: resolverLookup(options.resolver),
      headers: { accept: 'text/plain', 'user-agent': 'mxtls' },
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    });
    const timer = setTimeout(() => finish(fail(`no complete answer within ${timeoutMs} ms`)),
      timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });

    req.on('error', (error: NodeJS.ErrnoException) => {
      finish(fail(`${error.code ?? 'request failed'} ${sanitize(error.message, 200)}`, error));
    });
    req.on('response', (res: IncomingMessage) => {
      const problem = responseProblem(res, maxBytes);
      if (problem) {
        res.resume();
        finish(fail(problem));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          finish(fail(`body exceeds ${maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => finish(undefined, Buffer.concat(chunks).toString('utf8')));
      res.on('error', (error) => finish(fail('response broke off', error)));
    });
    req.end();
  });
}

/** The reason a response head is unacceptable, or undefined. */
function responseProblem(res: IncomingMessage, maxBytes: number): string | undefined {
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400) {
    const location = sanitize(String(res.headers.location ?? ''), 200);
    return `server answered ${status}, a redirect to "${location}", which senders do not follow`;
  }
  if (status !== 200) return `server answered ${status}`;
  const type = String(res.headers['content-type'] ?? '');
  const mediaType = type.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'text/plain') {
    return `content type is "${sanitize(type, 100)}", not text/plain`;
  }
  const length = Number(res.headers['content-length']);
  if (Number.isFinite(length) && length > maxBytes) {
    return `body of ${length} bytes exceeds ${maxBytes} bytes`;
  }
  return undefined;
}
