/**
 * Runs Postfix's own TLS probe, posttls-finger, against one lab address, so that tests can
 * check mxtls's findings against an independent client. posttls-finger exits 0 even when the
 * probe fails, so everything here comes from its text.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './run-command.js';

export interface FingerOptions {
  /** CA file to verify the chain against (`-F`). Default: none, so nothing verifies. */
  caFile?: string;
  /** Names the certificate must match at level secure (the `match` arguments). */
  match?: string[];
  /** SNI name (`-s`). Default: none, as posttls-finger does. */
  servername?: string;
  /** Default 25. */
  port?: number;
  /** Connect and command timeouts in seconds (`-t`, `-T`). Default 10. */
  timeoutSeconds?: number;
}

/** How posttls-finger classed the session. */
export type FingerTrust = 'Verified' | 'Trusted' | 'Untrusted' | 'Anonymous';

export interface FingerResult {
  /** True when the server got as far as an EHLO reply. */
  connected: boolean;
  /** Extension keywords of the first EHLO reply, upper case. */
  extensions: string[];
  /** Extension keywords of the EHLO reply after TLS, upper case. */
  extensionsTls: string[];
  starttlsOffered: boolean;
  /** Present when a TLS session was established. */
  tls?: {
    trust: FingerTrust;
    /** "TLSv1.3", "TLSv1.2", ... as OpenSSL names it. */
    protocol: string;
    /** OpenSSL's cipher name, e.g. "TLS_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384". */
    cipher: string;
    bits: number;
    /** e.g. "X25519", when posttls-finger logs it (TLS 1.3 sessions). */
    keyExchange?: string;
  };
  /** The reason of "server certificate verification failed", e.g. "hostname mismatch". */
  verifyFailure?: string;
  /** The name that "matched peername" reported. */
  matchedName?: string;
  /** The text of a "Failed to establish session" line. */
  failure?: string;
  /** Everything posttls-finger printed. */
  output: string;
}

let configDir: string | undefined;

/**
 * posttls-finger reads a main.cf before it does anything, and this machine may have none in
 * /etc/postfix (the system instance is never configured). Pointing MAIL_CONFIG at a private
 * minimal one avoids creating files under /etc, and lets us pin an EHLO name and keep DNS off.
 */
function fingerConfigDir(): string {
  if (configDir !== undefined) return configDir;
  const dir = mkdtempSync(join(tmpdir(), 'mxtls-finger-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'main.cf'), [
    'compatibility_level = 3.6',
    'myhostname = finger.mxtls.test',
    'smtp_dns_support_level = disabled',
    'smtp_host_lookup = native',
    '',
  ].join('\n'));
  configDir = dir;
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Probes `[address]:port` at security level "secure" and parses what posttls-finger said. */
export async function runPosttlsFinger(
  address: string,
  options: FingerOptions = {},
): Promise<FingerResult> {
  const timeout = String(options.timeoutSeconds ?? 10);
  const args = ['-l', 'secure', '-t', timeout, '-T', timeout];
  if (options.caFile !== undefined) args.push('-F', options.caFile);
  if (options.servername !== undefined) args.push('-s', options.servername);
  args.push(`[${address}]:${options.port ?? 25}`, ...(options.match ?? []));
  const run = await runCommand('posttls-finger', args, {
    timeoutMs: (Number(timeout) * 3 + 10) * 1000,
    env: { ...process.env, MAIL_CONFIG: fingerConfigDir() },
  });
  return parseFingerOutput(run.stdout + run.stderr);
}

/** Parses posttls-finger's chat log (its output without `-c`). */
export function parseFingerOutput(output: string): FingerResult {
  const lines = output.split('\n').map((l) => l.replace(/^posttls-finger: /, '').trimEnd());
  const ehloReplies: string[][] = [];
  let current: string[] | undefined;
  for (const line of lines) {
    if (line.startsWith('> EHLO')) {
      current = [];
      ehloReplies.push(current);
    } else if (line.startsWith('> ')) {
      current = undefined;
    } else if (current && /^< 250[- ]/.test(line)) {
      current.push(line.slice(6).split(' ')[0]?.toUpperCase() ?? '');
    }
  }
  // The first line of an EHLO reply is the server's name, not an extension.
  const extensions = ehloReplies[0]?.slice(1) ?? [];
  const extensionsTls = ehloReplies[1]?.slice(1) ?? [];
  const result: FingerResult = {
    connected: ehloReplies.length > 0,
    extensions,
    extensionsTls,
    starttlsOffered: extensions.includes('STARTTLS'),
    output,
  };

  const established = lines
    .map((l) => /^(\w+) TLS connection established to \S+: (\S+) with cipher (\S+) \((\d+)\//
      .exec(l))
    .find((m) => m !== null);
  if (established) {
    const kex = lines.map((l) => / key-exchange (\S+)/.exec(l)).find((m) => m !== null);
    result.tls = {
      trust: established[1] as FingerTrust,
      protocol: established[2] as string,
      cipher: established[3] as string,
      bits: Number(established[4]),
      ...(kex?.[1] ? { keyExchange: kex[1] } : {}),
    };
  }
  const verify = lines.map((l) => /verification failed for \S+: num=\d+:(.*)$/.exec(l))
    .find((m) => m !== null);
  if (verify?.[1]) result.verifyFailure = verify[1];
  const matched = lines.map((l) => /: matched peername: (\S+)/.exec(l)).find((m) => m !== null);
  if (matched?.[1]) result.matchedName = matched[1];
  const failure = lines.find((l) => l.startsWith('Failed to establish session'));
  if (failure) result.failure = failure;
  return result;
}
