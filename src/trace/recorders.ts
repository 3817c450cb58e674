/**
 * Which server wrote a Received field, and whether that server writes TLS into the field when
 * TLS was used. This is the table a reader extends: add a row with how the server is recognised
 * and what it records. Rows are tried in order, so software named in the field comes before
 * guesses from the host name.
 *
 * Why it matters: when a dialect always records TLS, a field with no TLS marker means the hop
 * was not encrypted; when it may not record TLS, silence means nothing.
 */
import { getDomain } from 'tldts';
import type { RecorderMatch, RecordsTls } from './types.js';

/** What a recorder rule looks at: the receiving side of one field. */
export interface RecorderContext {
  /** The by-host, lower case, without a trailing dot; '' when absent. */
  byHost: string;
  /** The by clause's comments, e.g. "Postfix", "8.14.4/8.13.8". */
  byComments: string[];
  /** The with clauses' words and `(comments)`, joined by spaces. */
  withText: string;
  /** The from clause's comments, e.g. "HELO x", "192.0.2.1", "rdns [192.0.2.1]". */
  fromComments: string[];
  /** Every comment of the field. */
  comments: string[];
  /** Whether the field has an `id` clause. */
  hasId: boolean;
}

/** One dialect. A rule matches when any of its tests does. */
export interface RecorderRule {
  id: string;
  name: string;
  byComment?: RegExp;
  withText?: RegExp;
  /** A test over the whole context, for dialects that only a combination gives away. */
  shape?: (context: RecorderContext) => boolean;
  /** Registrable domains (public-suffix based) of by-hosts that run this dialect. */
  byDomains?: string[];
  /** A pattern on the by-host for names the domain list cannot express. */
  byHost?: RegExp;
  recordsTls: RecordsTls | ((context: RecorderContext) => RecordsTls);
  note: string;
}

/** The dialect table. Notes say why; "(guess)" marks rows not confirmed by samples with TLS. */
export const RECORDERS: readonly RecorderRule[] = [
  {
    id: 'smtpsvc',
    name: 'Microsoft SMTPSVC',
    withText: /\bSMTPSVC\b/i,
    recordsTls: smtpsvcRecordsTls,
    note: 'IIS SMTP 7.5 and later write "over TLS secured channel"; 5.0 and 6.0 write nothing',
  },
  {
    id: 'exchange',
    name: 'Microsoft Exchange',
    withText: /\bMicrosoft SMTP(?:\s+Server)?\b/i,
    recordsTls: 'always',
    note: 'writes (version=…, cipher=…), or (TLS) on 2010/2013, inside the with phrase',
  },
  {
    id: 'proofpoint-essentials',
    name: 'Proofpoint Essentials',
    byComment: /^PPE Hosted ESMTP Server$/i,
    byDomains: ['ppe-hosted.com'],
    recordsTls: 'always',
    note: 'Postfix-based; writes (using TLSv1.x with cipher …) and ESMTPS',
  },
  {
    id: 'proofpoint-pps',
    name: 'Proofpoint PPS',
    byComment: /^PPS$/,
    byDomains: ['pphosted.com'],
    recordsTls: 'always',
    note: 'sendmail-based; writes (version=… cipher=… bits=… verify=…) and ESMTPS',
  },
  {
    id: 'mimecast',
    name: 'Mimecast',
    byDomains: ['mimecast.com'],
    recordsTls: 'always',
    note: 'writes "with ESMTP with STARTTLS (version=…, cipher=…)"',
  },
  {
    id: 'google',
    name: 'Gmail / Google Workspace',
    byDomains: ['google.com', 'gmail.com'],
    recordsTls: 'always',
    note: 'writes ESMTPS and (version=… cipher=… bits=…), or (Google Transport Security)',
  },
  {
    id: 'cisco',
    name: 'Cisco Secure Email (IronPort)',
    withText: /^E?SMTP\/TLS\//i,
    byDomains: ['iphmx.com'],
    recordsTls: 'always',
    note: 'writes "with ESMTP/TLS/<cipher>"',
  },
  {
    id: 'messagelabs',
    name: 'Symantec.cloud (MessageLabs)',
    byDomains: ['messagelabs.com', 'symcld.net'],
    recordsTls: 'always',
    note: 'writes "with <cipher> encrypted SMTP" or (using TLSv1.x with cipher …)',
  },
  {
    id: 'amavis',
    name: 'amavis content filter',
    byComment: /\bamavis(?:d-new)?\b/i,
    recordsTls: 'never',
    note: 'a loopback content filter; it never sees TLS',
  },
  {
    // TODO: Postfix before 2.2 (the separate TLS patch) may not have written ESMTPS; a TLS hop
    // in such an old header would be judged not encrypted.
    id: 'postfix',
    name: 'Postfix',
    byComment: /^Postfix\b/i,
    recordsTls: 'always',
    note:
      'writes ESMTPS/ESMTPSA/UTF8SMTPS whenever TLS was used; the (using …) comment only ' +
      'with smtpd_tls_received_header, so "with ESMTP" means no TLS',
  },
  {
    id: 'sendmail',
    name: 'sendmail',
    byComment: /^\d+\.\d+\.\d+(?:\.\d+)?\/[\w.+~-]+/,
    recordsTls: 'always',
    note: 'writes (version=… cipher=… bits=… verify=…) after STARTTLS; 8.15+ also ESMTPS',
  },
  {
    id: 'exim',
    name: 'Exim',
    withText: /\(Exim\b/i,
    byComment: /^Exim\b/i,
    recordsTls: 'always',
    note: 'the default header names the cipher (TLS1.3) tls … or (TLSv1.2:…:128), and esmtps',
  },
  {
    id: 'opensmtpd',
    name: 'OpenSMTPD',
    byComment: /^OpenSMTPD\b/i,
    recordsTls: 'always',
    note: 'writes ESMTPS and (TLSv1.3:<cipher>:<bits>:<verify>)',
  },
  {
    id: 'haraka',
    name: 'Haraka',
    byComment: /^Haraka\b/i,
    recordsTls: 'always',
    note: 'writes ESMTPS/ESMTPSA when TLS was used',
  },
  {
    id: 'halon',
    name: 'Halon',
    byComment: /^Halon\b/i,
    recordsTls: 'always',
    note: 'writes ESMTPS when TLS was used',
  },
  {
    id: 'mdaemon',
    name: 'MDaemon',
    byComment: /\bMDaemon\b/i,
    recordsTls: 'always',
    note: 'writes ESMTPS/ESMTPSA when TLS was used (guess)',
  },
  {
    id: 'gmx',
    name: 'GMX / WEB.DE (Nemesis)',
    withText: /\(Nemesis\)/i,
    recordsTls: 'always',
    note: 'writes ESMTPS/ESMTPSA (Nemesis) when TLS was used',
  },
  {
    id: 'rzmta',
    name: 'RZmta (Strato)',
    byComment: /^RZmta\b/i,
    recordsTls: 'always',
    note: 'writes ESMTPS and (using TLSv1.x with cipher …)',
  },
  {
    id: 'zoho',
    name: 'Zoho Mail',
    byDomains: ['zohomail.com', 'zoho.com'],
    recordsTls: 'always',
    note: 'writes SMTPS when TLS was used',
  },
  {
    id: 'barracuda',
    name: 'Barracuda Email Security Gateway',
    byHost: /(?:^|[.-])barracuda/i,
    byDomains: ['barracudanetworks.com', 'cudamail.com'],
    recordsTls: 'always',
    note: 'writes (version=… cipher=… bits=… verify=…) (guess for the form without TLS)',
  },
  {
    id: 'comcast',
    name: 'Comcast',
    byDomains: ['comcast.net'],
    withText: /^comcast\b/i,
    recordsTls: comcastRecordsTls,
    note: 'current relays write (using TLSv1.2 …) and ESMTPS; the old "with comcast" never did',
  },
  {
    id: 'wp-smtpd',
    name: 'WP-SMTPD (wp.pl, o2.pl)',
    byComment: /^WP-SMTPD$/i,
    recordsTls: 'always',
    note: 'writes "with <cipher> encrypted SMTP" when TLS was used',
  },
  {
    // Late in the table: only the shape of the from part gives qmail away, and servers named
    // by earlier rows write similar shapes.
    id: 'qmail',
    name: 'qmail',
    shape: isQmailShape,
    recordsTls: 'with-option',
    note: 'only qmail with a TLS patch writes "with <cipher> encrypted SMTP"',
  },
  {
    id: 'never',
    name: 'server without a TLS form',
    byComment: /^(?:Coremail|Cyrus|Dovecot|LISTSERV|Totemo|MEProxy|LMTPProxy|EarthLink)\b/i,
    withText: /^(?:MailEnable|ME|ngmta)\b/i,
    byDomains: ['vger.kernel.org', 'qq.com'],
    recordsTls: 'never',
    note: 'no Received field of this server with a TLS marker has been seen',
  },
];

/** The match given to a server that no row recognises. */
export const UNKNOWN_RECORDER: RecorderMatch = {
  id: 'unknown',
  name: 'unrecognised server',
  recordsTls: 'unknown',
  // Many servers write ESMTPS when TLS was used, but not all: without knowing the software, a
  // plain ESMTP proves nothing, so the hop is "not recorded" rather than "not encrypted".
  note: 'the software is not known, so a field without TLS markers proves nothing',
};

/** Finds the dialect of a field's receiver. */
export function recogniseRecorder(context: RecorderContext): RecorderMatch {
  const domain = context.byHost === '' ? null : getDomain(context.byHost);
  for (const rule of RECORDERS) {
    if (matchesRule(rule, context, domain)) {
      const recordsTls =
        typeof rule.recordsTls === 'function' ? rule.recordsTls(context) : rule.recordsTls;
      return { id: rule.id, name: rule.name, recordsTls, note: rule.note };
    }
  }
  return UNKNOWN_RECORDER;
}

function matchesRule(rule: RecorderRule, context: RecorderContext, domain: string | null): boolean {
  if (rule.byComment && context.byComments.some((c) => rule.byComment?.test(c))) return true;
  if (rule.withText?.test(context.withText)) return true;
  if (rule.shape?.(context)) return true;
  if (rule.byHost?.test(context.byHost)) return true;
  if (rule.byDomains && rule.byDomains.some((d) => d === domain || context.byHost === d)) {
    return true;
  }
  return false;
}

/**
 * qmail names no software: it writes `from name (HELO x) (user@192.0.2.1) by host with SMTP;`,
 * a bare address in parentheses, no by comment and no id.
 */
function isQmailShape(context: RecorderContext): boolean {
  const bareAddress = /^(?:\S+@)?\d{1,3}(?:\.\d{1,3}){3}$/;
  return (
    context.byComments.length === 0 &&
    !context.hasId &&
    context.fromComments.some((c) => bareAddress.test(c)) &&
    /^(?:E?SMTPA?(?: \(\S+ encrypted\))?|\S+ encrypted SMTP)$/i.test(context.withText)
  );
}

function smtpsvcRecordsTls(context: RecorderContext): RecordsTls {
  const version = /\bSMTPSVC\s*\(\s*(\d+)\.(\d+)/i.exec(context.withText);
  if (!version) return 'unknown';
  const major = Number(version[1]);
  const minor = Number(version[2]);
  if (major > 7 || (major === 7 && minor >= 5)) return 'always';
  // TODO: IIS 7.0 (Windows Server 2008) has not been seen in samples; it counts as unknown.
  return major < 7 ? 'never' : 'unknown';
}

function comcastRecordsTls(context: RecorderContext): RecordsTls {
  return /^comcast\b/i.test(context.withText) ? 'never' : 'always';
}
