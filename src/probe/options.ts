/**
 * Options of a probe, shared by the library and the CLI. Every default is stated here and
 * repeated in the CLI's help.
 */
import type { Resolver } from '../dns/types.js';
import type { HostResult } from './types.js';

/** Per-stage timeouts in milliseconds. */
export interface StageTimeouts {
  /** TCP connect. Default 10000. */
  connect: number;
  /**
   * The whole greeting; generous because RFC 5321 allows 5 minutes and postscreen-style
   * servers wait before they greet. Default 60000.
   */
  greeting: number;
  /** Each command's reply (EHLO, STARTTLS, QUIT). Default 30000. */
  command: number;
  /** The TLS handshake. Default 20000. */
  handshake: number;
}

export const DEFAULT_TIMEOUTS: StageTimeouts = {
  connect: 10_000,
  greeting: 60_000,
  command: 30_000,
  handshake: 20_000,
};

/** Where and how to probe one address. */
export interface HostTarget {
  /** The MX host name: used for SNI and certificate name checks. */
  host: string;
  address: string;
  family: 4 | 6;
  port: number;
}

export interface HostProbeOptions {
  /**
   * The EHLO argument. Default: this machine's host name if it is a valid FQDN, else an
   * address literal of the local address.
   */
  helo?: string;
  timeouts?: Partial<StageTimeouts>;
  /** PEM CA certificates to trust instead of the system roots (`--ca-file`). */
  ca?: string | Buffer;
  /** Retry with a legacy context (TLS 1.0/1.1, SECLEVEL 0) when the default fails. Default true. */
  legacyRetry?: boolean;
  /** Keep a `C:`/`S:` transcript in the result. Default false. */
  transcript?: boolean;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
  signal?: AbortSignal;
  /**
   * When given, the probe returns as soon as QUIT is sent and hands this callback a promise
   * that settles once every connection of the probe is closed (after the 221, at most 2 s);
   * a caller that limits connections per address holds its slot until then. Without it (the
   * default), and whenever a transcript is asked for, the probe waits for the 221 itself.
   */
  onClosing?: (closed: Promise<void>) => void;
}

export interface DomainProbeOptions extends HostProbeOptions {
  resolver: Resolver;
  /** SMTP port. Default 25. */
  port?: number;
  /** Probe IPv6 addresses. Default true. */
  ipv6?: boolean;
  /**
   * Probes one address. Default: probeHost. A bulk scan passes its own, which shares results
   * between domains and limits connections per address.
   */
  probeHost?: (target: HostTarget, options: HostProbeOptions) => Promise<HostResult>;
}
