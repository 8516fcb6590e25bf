/** `--decap`, `--vxlan-port` and `--keep-duplicates`: how every command that reads traffic treats tunnels and mirrors. */
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { DecodeOptionsInput } from '../decode/options.js';
import type { DuplicateFilterOptions } from '../decode/duplicates.js';
import { warn } from './io.js';

/** The parsed options (commander's camel-case names). */
export interface DecapOpts {
  decap?: 'auto' | 'none';
  vxlanPort?: number[];
  keepDuplicates?: boolean;
}

/** A UDP port 1-65535, else a usage error (exit 2). */
function udpPort(v: string, prev: number[] | undefined): number[] {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`--vxlan-port expects a UDP port (1-65535), got '${v}'`);
  return [...(prev ?? []), n];
}

/** Add the three options to a command. */
export function withDecapOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--decap <mode>', 'auto: open VXLAN, GENEVE (GWLB), GRE/ERSPAN and IP-in-IP and judge the innermost packet; none: judge the outer packets').choices(['auto', 'none']).default('auto'))
    .addOption(new Option('--vxlan-port <port>', 'also open UDP to this port as VXLAN (repeatable; 4789 always is)').argParser(udpPort))
    .addOption(new Option('--keep-duplicates', 'count a packet once per mirror session that delivered it (default: once)'));
}

/** The pass options the parsed flags give. */
export function decapPassOptions(o: DecapOpts): { decode: DecodeOptionsInput; dedupe: DuplicateFilterOptions | null } {
  return { decode: { decap: o.decap ?? 'auto', vxlanPorts: o.vxlanPort ?? [] }, dedupe: o.keepDuplicates ? null : {} };
}

/** One stderr line when copies of packets from a second mirror session were dropped (`info` shows the count). */
export function noteDuplicates(summary: { file: string; duplicates?: number }): void {
  if (summary.duplicates !== undefined && summary.duplicates > 0) warn(`${summary.file}: ${summary.duplicates} packet${summary.duplicates === 1 ? '' : 's'} mirrored twice counted once (--keep-duplicates counts every copy)`);
}
