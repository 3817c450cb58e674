/**
 * The lines of the benchmark's report: one per measured run, the ratios against the targets,
 * and the machine's CPU use during a run (colleagues' tests share the two cores, so a run on a
 * busy machine should say so).
 */
import { readFileSync } from 'node:fs';

import type { ToolRun } from './tools.js';

/** Jiffies of /proc/stat's first line: busy and total, all cores together. */
export interface CpuSample {
  busy: number;
  total: number;
}

export function machineBusy(): CpuSample {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, n) => sum + n, 0);
  // idle and iowait are the two fields that are not work.
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

function mib(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}

/** One run: counts, wall time, rate, memory, CPU, and the machine and DNS load meanwhile. */
export function formatRun(round: number, run: ToolRun, before: CpuSample, dnsCpu: number,
  unit = 'host'): string {
  const after = machineBusy();
  const busy = after.total > before.total
    ? (100 * (after.busy - before.busy)) / (after.total - before.total) : 0;
  const seconds = run.wallMs / 1000;
  const perUnit = ((1000 * run.cpuSeconds) / run.asked).toFixed(2);
  const dns = ((100 * dnsCpu) / seconds).toFixed(0);
  const output = run.outputBytes === undefined ? ''
    : `  output ${(run.outputBytes / run.asked).toFixed(0)} bytes/${unit}`;
  const line = `  round ${round}  ${run.tool.padEnd(14)} ${run.succeeded}/${run.asked} verified ` +
    `${seconds.toFixed(2).padStart(7)} s ${run.rate.toFixed(1).padStart(7)} ${unit}s/s\n` +
    `           peak RSS ${mib(run.maxRssKib)} (largest process), ` +
    `${mib(run.treeRssKib)} (whole tree)  cpu ${run.cpuSeconds.toFixed(2)} s ` +
    `(${perUnit} ms/${unit})  machine busy ${busy.toFixed(0)} %  dns ${dns} %${output}`;
  const stages = run.stages === undefined ? '' : `\n           mean ms per domain: ${run.stages}`;
  return run.valid ? line + stages : `${line}${stages}\n    INVALID: ${run.problem}`;
}

/** `a` over `b` against `target`, or why the ratio cannot be given. */
export function ratioLine(label: string, a: ToolRun | undefined, b: ToolRun | undefined,
  target: number): { line: string; pass: boolean } {
  if (a === undefined || b === undefined) {
    return { line: `  ${label}: no valid run to compare: FAIL`, pass: false };
  }
  const ratio = a.rate / b.rate;
  const pass = ratio >= target;
  return {
    line: `  ${label}: ${a.rate.toFixed(1)} / ${b.rate.toFixed(1)} hosts/s = ` +
      `${ratio.toFixed(2)} (target >= ${target}): ${pass ? 'PASS' : 'FAIL'}`,
    pass,
  };
}

/** Client CPU per host of each tool: a figure that other load on the machine disturbs less. */
export function cpuLine(runs: (ToolRun | undefined)[]): string {
  const parts = runs.filter((r): r is ToolRun => r !== undefined)
    .map((r) => `${r.tool} ${((1000 * r.cpuSeconds) / r.asked).toFixed(2)} ms`);
  return `  client CPU per host (start-up included): ${parts.join(', ')}`;
}
