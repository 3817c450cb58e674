/**
 * The main.cf and master.cf of a private lab Postfix instance. Everything an instance needs
 * lives under its own directory, it listens only on the loopback addresses it is given, and it
 * never asks the system resolver anything: every next hop is an `[address]:port` literal.
 */

/** TLS protocol names in Postfix's own spelling. */
export type PostfixProtocol = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/** How the SMTP server side of an instance offers TLS. */
export interface ServerTls {
  /** Leaf then intermediates, PEM (the `chainFile` of test/helpers/certs.ts). */
  chainFile: string;
  keyFile: string;
  /** Lowest protocol offered. Default: Postfix's default (TLSv1 and up, as OpenSSL allows). */
  minProtocol?: PostfixProtocol;
  /** Highest protocol offered. Default: the highest OpenSSL knows. */
  maxProtocol?: PostfixProtocol;
  /** Write the `(using TLSv1.3 with cipher ...)` comment into Received. Default true. */
  receivedHeader?: boolean;
  /**
   * Let the server's cipher order decide (tls_preempt_cipherlist), so that two different
   * clients end up with the same cipher. Default false, as in Postfix.
   */
  preferServerCiphers?: boolean;
}

/** How the SMTP client side of an instance relays mail on. */
export interface RelayOptions {
  /** The loopback address of the next Postfix. */
  nexthop: string;
  /** Default 25. */
  port?: number;
  /**
   * Relay only mail for these domains (transport_maps); other mail bounces at once.
   * Default: relay all mail (relayhost).
   */
  domains?: string[];
  /** smtp_tls_security_level. Default 'may'. */
  tlsLevel?: 'none' | 'may' | 'encrypt';
  /** CA file the client trusts (smtp_tls_CAfile); only logged by Postfix at level may/encrypt. */
  caFile?: string;
}

/** Everything that decides an instance's configuration. */
export interface InstanceConfig {
  /** The instance directory: config, queue, data, mail and log all sit below it. */
  dir: string;
  /** Loopback addresses the SMTP server listens on, port 25. */
  addresses: string[];
  /** myhostname: the greeting, EHLO and Received name. */
  hostname: string;
  /** Server TLS; undefined means STARTTLS is not offered at all. */
  tls?: ServerTls;
  relay?: RelayOptions;
  /** Domains whose mail is delivered into the maildir `<dir>/mail/inbox/`. */
  mailboxDomains: string[];
  /** uid and gid the virtual delivery agent writes mail as. */
  mailUid: number;
  mailGid: number;
  /** default_process_limit; a fleet needs more than Postfix's 100. */
  processLimit?: number;
  /** Extra main.cf parameters, written last so they win. */
  extra?: Record<string, string>;
}

/** The maildir, under `mailDir`, that receives every recipient's mail. */
const INBOX = 'inbox';

/** The paths of an instance directory. */
export function instancePaths(dir: string): {
  configDir: string;
  queueDir: string;
  dataDir: string;
  mailDir: string;
  maillogFile: string;
  inboxDir: string;
} {
  return {
    configDir: `${dir}/etc`,
    queueDir: `${dir}/queue`,
    dataDir: `${dir}/data`,
    mailDir: `${dir}/mail`,
    maillogFile: `${dir}/maillog`,
    inboxDir: `${dir}/mail/${INBOX}`,
  };
}

/** Renders main.cf. */
export function renderMainCf(config: InstanceConfig): string {
  const paths = instancePaths(config.dir);
  const domain = config.hostname.split('.').slice(1).join('.') || config.hostname;
  const params: Record<string, string> = {
    compatibility_level: '3.6',
    queue_directory: paths.queueDir,
    data_directory: paths.dataDir,
    // The maillog must sit under one of these prefixes; the instance directory is the only one.
    maillog_file_prefixes: config.dir,
    maillog_file: paths.maillogFile,
    myhostname: config.hostname,
    mydomain: domain,
    myorigin: '$myhostname',
    mydestination: '',
    // "all" keeps Postfix from refusing addresses that are not on an interface; the listeners
    // themselves are the explicit address lines of master.cf.
    inet_interfaces: 'all',
    inet_protocols: 'ipv4',
    mynetworks: '127.0.0.0/8',
    smtpd_relay_restrictions: 'permit_mynetworks, reject_unauth_destination',
    // No DNS: no reverse lookups of clients, no MX lookups, no A lookups of next hops.
    smtpd_peername_lookup: 'no',
    smtp_dns_support_level: 'disabled',
    smtp_host_lookup: 'native',
    lmtp_host_lookup: 'native',
    append_dot_mydomain: 'no',
    alias_maps: '',
    alias_database: '',
    local_recipient_maps: '',
    biff: 'no',
    // Mail that no rule routes fails at once instead of being looked up through libc.
    default_transport: 'error:5.1.2 this lab instance routes no mail for that domain',
    relay_transport: 'error:5.1.2 this lab instance relays no mail for that domain',
    // Tests wait seconds, not Postfix's minutes, for a retry after a refused relay.
    queue_run_delay: '2s',
    minimal_backoff_time: '2s',
    maximal_backoff_time: '4s',
    smtp_connect_timeout: '10s',
    smtpd_tls_loglevel: '1',
    smtp_tls_loglevel: '1',
    smtpd_tls_session_cache_database: '',
    smtp_tls_session_cache_database: '',
    smtp_tls_security_level: 'none',
  };
  if (config.processLimit !== undefined) {
    params.default_process_limit = String(config.processLimit);
  }
  Object.assign(params, serverTlsParams(config.tls));
  Object.assign(params, relayParams(config.relay));
  if (config.mailboxDomains.length > 0) {
    Object.assign(params, {
      virtual_mailbox_domains: config.mailboxDomains.join(', '),
      virtual_mailbox_base: paths.mailDir,
      // One maildir for every recipient: virtual(8) refuses regexp substitutions in this map,
      // and the Delivered-To field that virtual adds tells the recipients apart.
      virtual_mailbox_maps: `static:${INBOX}/`,
      virtual_uid_maps: `static:${config.mailUid}`,
      virtual_gid_maps: `static:${config.mailGid}`,
    });
  }
  Object.assign(params, config.extra ?? {});
  return Object.entries(params).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n';
}

function serverTlsParams(tls: ServerTls | undefined): Record<string, string> {
  if (tls === undefined) return { smtpd_tls_security_level: 'none' };
  const bounds = [
    tls.minProtocol ? `>=${tls.minProtocol}` : '',
    tls.maxProtocol ? `<=${tls.maxProtocol}` : '',
  ].filter((b) => b !== '');
  const protocols = bounds.length > 0 ? bounds.join(', ') : '>=TLSv1';
  return {
    smtpd_tls_security_level: 'may',
    smtpd_tls_chain_files: `${tls.keyFile}, ${tls.chainFile}`,
    smtpd_tls_protocols: protocols,
    smtpd_tls_mandatory_protocols: protocols,
    smtpd_tls_received_header: tls.receivedHeader === false ? 'no' : 'yes',
    tls_preempt_cipherlist: tls.preferServerCiphers === true ? 'yes' : 'no',
  };
}

function relayParams(relay: RelayOptions | undefined): Record<string, string> {
  if (relay === undefined) return {};
  const nexthop = `smtp:[${relay.nexthop}]:${relay.port ?? 25}`;
  const params: Record<string, string> = {
    smtp_tls_security_level: relay.tlsLevel ?? 'may',
  };
  if (relay.caFile !== undefined) params.smtp_tls_CAfile = relay.caFile;
  if (relay.domains !== undefined) {
    // inline: tables take `key=value` with no blanks around the "=".
    const routes = relay.domains.map((d) => `${d}=${nexthop}`).join(', ');
    params.transport_maps = `inline:{ ${routes} }`;
    // Without this the smtpd would reject the relayed domains as unauthorised destinations
    // when the client is outside mynetworks; inside it, this changes nothing.
    params.relay_domains = relay.domains.join(', ');
  } else {
    params.relayhost = nexthop.slice('smtp:'.length);
    params.default_transport = 'smtp';
    params.relay_transport = 'smtp';
  }
  return params;
}

/**
 * Renders master.cf: one smtpd line per listen address and the internal services, none of
 * them chrooted (the instance directory holds no chroot jail).
 */
export function renderMasterCf(addresses: string[]): string {
  const listeners = addresses.map((a) => `${a}:25 inet n - n - - smtpd`);
  const services = [
    'pickup unix n - n 60 1 pickup',
    'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr',
    'tlsmgr unix - - n 1000? 1 tlsmgr',
    'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce',
    'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce',
    'verify unix - - n - 1 verify',
    'flush unix n - n 1000? 0 flush',
    'proxymap unix - - n - - proxymap',
    'proxywrite unix - - n - 1 proxymap',
    'smtp unix - - n - - smtp',
    'relay unix - - n - - smtp',
    'showq unix n - n - - showq',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    'local unix - n n - - local',
    'virtual unix - n n - - virtual',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
  ];
  return [...listeners, ...services].join('\n') + '\n';
}
