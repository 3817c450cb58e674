/**
 * Test certificates made with the openssl command: a private CA and leaf certificates signed
 * by it, with the names, key types and validity dates a test asks for. Nothing here is used
 * at run time; the files live in a temporary directory per test suite.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type KeyType = 'rsa2048' | 'ec256';

export interface TestCa {
  dir: string;
  certFile: string;
  keyFile: string;
  certPem: string;
}

export interface TestLeaf {
  certFile: string;
  keyFile: string;
  /** Leaf then CA, as a server would send it. */
  chainFile: string;
  certPem: string;
  keyPem: string;
  chainPem: string;
}

export interface LeafOptions {
  /** DNS names for subjectAltName; the first one is also the CN. */
  names: string[];
  /** IP addresses for subjectAltName. */
  ips?: string[];
  keyType?: KeyType;
  /** openssl `ca` dates, `YYYYMMDDHHMMSSZ`. Default: from yesterday for 365 days. */
  startDate?: string;
  endDate?: string;
  /** A file name stem, so that several leaves share one CA directory. */
  label?: string;
}

function openssl(args: string[], cwd?: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function newKey(file: string, keyType: KeyType): void {
  if (keyType === 'ec256') {
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
  } else {
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', file]);
  }
}

/** Formats a Date as the `YYYYMMDDHHMMSSZ` form that `openssl ca` takes. */
export function opensslDate(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** Creates a self-signed CA in a new temporary directory (or `dir`). */
export function makeCa(name = 'mxtls Test CA', keyType: KeyType = 'ec256', dir?: string): TestCa {
  const base = dir ?? mkdtempSync(join(tmpdir(), 'mxtls-ca-'));
  mkdirSync(base, { recursive: true });
  const keyFile = join(base, 'ca.key');
  const certFile = join(base, 'ca.crt');
  newKey(keyFile, keyType);
  openssl([
    'req', '-x509', '-new', '-key', keyFile, '-out', certFile, '-days', '3650',
    '-subj', `/O=mxtls tests/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  writeFileSync(join(base, 'index.txt'), '');
  writeFileSync(join(base, 'serial'), `${Date.now().toString(16).padStart(16, '0')}\n`);
  return { dir: base, certFile, keyFile, certPem: readFileSync(certFile, 'utf8') };
}

/** Creates a leaf certificate for `names`, signed by `ca`. */
export function makeLeaf(ca: TestCa, options: LeafOptions): TestLeaf {
  const label = options.label ?? options.names[0]?.replace(/[^a-z0-9.-]/gi, '_') ?? 'leaf';
  const keyFile = join(ca.dir, `${label}.key`);
  const csrFile = join(ca.dir, `${label}.csr`);
  const certFile = join(ca.dir, `${label}.crt`);
  const chainFile = join(ca.dir, `${label}.chain.pem`);
  const extFile = join(ca.dir, `${label}.ext`);
  const confFile = join(ca.dir, `${label}.ca.cnf`);
  newKey(keyFile, options.keyType ?? 'ec256');

  const cn = options.names[0] ?? options.ips?.[0] ?? 'leaf';
  openssl(['req', '-new', '-key', keyFile, '-out', csrFile, '-subj', `/O=mxtls tests/CN=${cn}`]);

  const alt = [
    ...options.names.map((n) => `DNS:${n}`),
    ...(options.ips ?? []).map((ip) => `IP:${ip}`),
  ];
  writeFileSync(
    extFile,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      alt.length > 0 ? `subjectAltName=${alt.join(',')}` : '',
    ].join('\n'),
  );
  // `openssl ca` is the one subcommand of OpenSSL 3.0 that takes arbitrary start and end
  // dates, which expired and not-yet-valid certificates need.
  writeFileSync(
    confFile,
    [
      '[ca]', 'default_ca = test_ca', '[test_ca]',
      `dir = ${ca.dir}`, 'database = $dir/index.txt', 'serial = $dir/serial',
      'new_certs_dir = $dir', 'default_md = sha256', 'policy = any', 'unique_subject = no',
      'copy_extensions = none', '[any]', 'CN = supplied', 'O = optional',
    ].join('\n'),
  );
  const now = Date.now();
  const start = options.startDate ?? opensslDate(new Date(now - 86_400_000));
  const end = options.endDate ?? opensslDate(new Date(now + 365 * 86_400_000));
  openssl([
    'ca', '-batch', '-config', confFile, '-cert', ca.certFile, '-keyfile', ca.keyFile,
    '-in', csrFile, '-out', certFile, '-extfile', extFile, '-notext',
    '-startdate', start, '-enddate', end,
  ]);
  const certPem = readFileSync(certFile, 'utf8');
  const chainPem = certPem + ca.certPem;
  writeFileSync(chainFile, chainPem);
  return {
    certFile,
    keyFile,
    chainFile,
    certPem,
    keyPem: readFileSync(keyFile, 'utf8'),
    chainPem,
  };
}

/** Writes Diffie-Hellman parameters of `bits` (slow above 1024: use small sizes in tests). */
export function makeDhParams(dir: string, bits: number): string {
  const file = join(dir, `dh${bits}.pem`);
  openssl(['dhparam', '-out', file, String(bits)]);
  return file;
}
