/**
 * A summary of a V8 `.cpuprofile` (from `node --cpu-prof`): where the samples fell, by
 * function (self time), by kind of code, and the inclusive time of mxtls's own functions.
 *   node cpuprofile.js FILE.cpuprofile [TOP]
 * Times come from the profile's own sample deltas, so they are milliseconds of wall time in
 * which the main thread was seen in that function.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  /** Samples put in coarse jobs by the nearest frame on their stack that names one. */
  byJob: ProfileRow[];
  bySelf: ProfileRow[];
  byKind: ProfileRow[];
  /** Inclusive time of functions in mxtls's own code (src/ compiled into dist/). */
  ownInclusive: ProfileRow[];
}

/** Names the kind of code a frame belongs to. */
function kindOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'garbage collection';
    if (functionName === '(idle)') return 'idle (waiting for I/O)';
    if (functionName === '(program)') return 'native code outside JS ((program))';
    return `native: ${functionName || '(anonymous)'}`;
  }
  if (url.includes('/node_modules/')) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    return `dependency ${match?.[1] ?? '?'}`;
  }
  if (url.startsWith('node:')) return `node ${url.slice('node:'.length).split('/').slice(0, 2)
    .join('/')}`;
  if (isOwn(url)) return `mxtls ${url.replace(/^.*\/dist(?:-bench)?\//, '')}`;
  return url;
}

/** Coarse jobs, tried from the sampled frame towards the root; the first match wins. */
const JOBS: [string, (frame: CallFrame) => boolean][] = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['DNS (resolver, dns2, dgram)',
    (f) => /\/src\/dns\/|node_modules\/dns2\/|^node:dgram/.test(f.url)],
  ['TLS and certificates', (f) => /\/src\/tls\/|^node:_tls|^node:tls|internal\/crypto/.test(f.url)],
  ['SMTP session and sockets', (f) => /\/src\/smtp\/|^node:net|internal\/net/.test(f.url)],
  ['probe results and verdicts', (f) => /\/src\/probe\//.test(f.url)],
  ['scan engine and output', (f) => /\/src\/(scan|cli)\/|scan-driver/.test(f.url)],
  ['start-up (module loading)', (f) => /^node:internal\/(modules|bootstrap|deps\/cjs)/.test(f.url)],
];

function jobOf(stack: CallFrame[]): string {
  for (const frame of stack) {
    for (const [name, test] of JOBS) if (test(frame)) return name;
  }
  const leaf = stack[0];
  return leaf?.url === '' ? 'native, unattributed' : 'other JavaScript';
}

function isOwn(url: string): boolean {
  return /\/dist(-bench)?\/(src\/)?[a-z]+\/[^/]+\.js$/.test(url) && !url.includes('node_modules');
}

function frameName(frame: CallFrame): string {
  const where = frame.url === '' ? '' :
    ` ${frame.url.replace(/^.*\/(node_modules|dist(-bench)?)\//, '$1/')}:${frame.lineNumber + 1}`;
  return `${frame.functionName || '(anonymous)'}${where}`;
}

/** Reads and summarises a profile; `top` rows per table. */
export function summariseProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);

  const self = new Map<string, number>();
  const kind = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const job = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  for (let i = 0; i < profile.samples.length; i += 1) {
    // The delta before sample i+1 is the time spent where sample i was taken.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const node = byId.get(profile.samples[i] as number);
    if (!node) continue;
    totalMs += ms;
    if (node.callFrame.functionName === '(idle)') idleMs += ms;
    add(self, frameName(node.callFrame), ms);
    add(kind, kindOf(node.callFrame), ms);
    const seen = new Set<string>();
    const stack: CallFrame[] = [];
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = (byId.get(id) as ProfileNode).callFrame;
      stack.push(frame);
      if (!isOwn(frame.url)) continue;
      const name = frameName(frame);
      // Recursion must not count one sample twice for the same function.
      if (!seen.has(name)) inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
      seen.add(name);
    }
    add(job, jobOf(stack), ms);
  }
  const rows = (map: Map<string, number>): ProfileRow[] => [...map]
    .sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, ms]) => ({ name, ms, share: totalMs > 0 ? ms / totalMs : 0 }));
  return {
    totalMs,
    idleMs,
    byJob: rows(job),
    bySelf: rows(self),
    byKind: rows(kind),
    ownInclusive: rows(inclusive),
  };
}

function add(map: Map<string, number>, key: string, ms: number): void {
  map.set(key, (map.get(key) ?? 0) + ms);
}

/** The summary as text, for the benchmark report. */
export function formatProfile(summary: ProfileSummary): string {
  const table = (title: string, rows: ProfileRow[]): string[] => [
    title,
    ...rows.map((r) => `  ${r.ms.toFixed(0).padStart(7)} ms ${(100 * r.share).toFixed(1)
      .padStart(5)} %  ${r.name}`),
  ];
  const busy = summary.totalMs - summary.idleMs;
  return [
    `profiled ${summary.totalMs.toFixed(0)} ms: busy ${busy.toFixed(0)} ms, idle ` +
      `${summary.idleMs.toFixed(0)} ms (${(100 * summary.idleMs / summary.totalMs).toFixed(1)} %)`,
    ...table('by job (nearest frame on the stack that names one; async stacks are cut):',
      summary.byJob),
    ...table('self time by kind of code:', summary.byKind),
    ...table('self time by function:', summary.bySelf),
    ...table('inclusive time of mxtls functions:', summary.ownInclusive),
  ].join('\n');
}

if (process.argv[1]?.endsWith('cpuprofile.js') && process.argv[2] !== undefined) {
  const top = process.argv[3] === undefined ? 15 : Number(process.argv[3]);
  process.stdout.write(formatProfile(summariseProfile(process.argv[2], top)) + '\n');
}
