/**
 * The linear first-match reference: the definition of what a rule matches, written to be obviously right, not fast.
 * Every compiled classifier must give the same answer on every packet (see test/acl/compile.property.test.ts).
 */
import { hasPorts } from '../decode/batch.js';
import { cidrContains, isAnyPorts, type Rule } from './model.js';

/** The packet columns a classifier reads; PacketBatch has them all. */
export interface PacketColumns {
  family: Uint8Array;
  proto: Uint8Array;
  /** Four words per packet; IPv4 uses word 0. */
  src: Uint32Array;
  dst: Uint32Array;
  sport: Uint16Array;
  dport: Uint16Array;
  icmpType: Uint8Array;
  icmpCode: Uint8Array;
  tcpFlags: Uint16Array;
}

/** True when packet i is ICMP for its family: protocol 1 over IPv4, 58 over IPv6. */
export function isIcmpPacket(family: number, proto: number): boolean {
  return (family === 4 && proto === 1) || (family === 6 && proto === 58);
}

/** Whether `rule` matches packet `i` of `p`. */
export function ruleMatches(rule: Rule, p: PacketColumns, i: number): boolean {
  const family = p.family[i]!;
  const proto = p.proto[i]!;
  if (family !== rule.family) return false;
  if ((proto & rule.protocolMask) !== (rule.protocol & rule.protocolMask)) return false;
  if (!cidrContains(rule.src, p.src, 4 * i)) return false;
  if (!cidrContains(rule.dst, p.dst, 4 * i)) return false;
  if (hasPorts(proto)) {
    const sport = p.sport[i]!;
    const dport = p.dport[i]!;
    if (sport < rule.srcPorts[0] || sport > rule.srcPorts[1]) return false;
    if (dport < rule.dstPorts[0] || dport > rule.dstPorts[1]) return false;
  } else if (!isAnyPorts(rule.srcPorts) || !isAnyPorts(rule.dstPorts)) {
    return false;
  }
  if (rule.icmpType !== -1) {
    if (!isIcmpPacket(family, proto)) return false;
    if (p.icmpType[i] !== rule.icmpType) return false;
    if (rule.icmpCode !== -1 && p.icmpCode[i] !== rule.icmpCode) return false;
  }
  if (rule.tcpFlags !== null && rule.tcpFlags.mask !== 0) {
    if (proto !== 6) return false;
    if ((p.tcpFlags[i]! & rule.tcpFlags.mask) !== (rule.tcpFlags.value & rule.tcpFlags.mask)) return false;
  }
  return true;
}

/** Index in `rules` of the first rule matching packet `i`, or -1. */
export function linearClassify(rules: readonly Rule[], p: PacketColumns, i: number): number {
  for (let k = 0; k < rules.length; k++) if (ruleMatches(rules[k]!, p, i)) return k;
  return -1;
}

/** linearClassify over packets idx[k] (or k) for k < n, into out. */
export function linearClassifyBatch(rules: readonly Rule[], p: PacketColumns, idx: Int32Array | null, n: number, out: Int32Array): void {
  for (let k = 0; k < n; k++) out[k] = linearClassify(rules, p, idx ? idx[k]! : k);
}
