/**
 * `lint`: the rule findings of src/acl/lint.ts, plus ephemeral coverage: one probe per destination port (TCP with
 * ACK, UDP) from/to a far address (RFC 5737 / RFC 3849 documentation space), judged by the compiled classifier
 * (src/verdict/probe.ts), and the share of each client port-range profile the return path allows.
 */
import { compileRules } from '../acl/compile.js';
import { ruleFindings, awsName, type CoverageReport, type Finding, type RuleFindingOptions } from '../acl/lint.js';
import type { Acl } from '../acl/model.js';
import { formatRanges, PORT_PROFILES, percent, portRanges, profileCoverage } from '../profiles.js';
import { directionAllows, ProbeFlags, type Host } from '../verdict/probe.js';

export interface LintReport {
  id: string;
  name: string | null;
  file: string;
  format: Acl['format'];
  rules: { inbound: number; outbound: number };
  findings: Finding[];
  coverage: CoverageReport[];
}

/** Work limits of the overlap analysis: `budget` for the whole ACL, `ruleBudget` per rule (src/acl/overlap.ts). */
export type LintOptions = RuleFindingOptions;

/** Lint one ACL. */
export function lintAcl(acl: Acl, opts: LintOptions = {}): LintReport {
  const aws = acl.format !== 'classbench';
  const findings = ruleFindings(acl, opts);
  const coverage = aws ? ephemeralCoverage(acl) : [];
  for (const c of coverage) {
    const shares = c.profiles.map((p) => p.share);
    const partial = shares.some((s) => s > 0 && s < 1);
    const mixed = shares.some((s) => s === 1) && shares.some((s) => s < 1);
    const none = shares.every((s) => s === 0);
    if (c.protocol === 'tcp' ? !shares.every((s) => s === 1) : partial) {
      findings.push({
        code: 'EPHEMERAL_COVERAGE',
        severity: c.protocol === 'tcp' && (partial || mixed) ? 'warning' : 'info',
        direction: c.direction,
        family: c.family,
        rule: null,
        message: coverageSentence(c) + (none ? ' (no return traffic can pass this way)' : ''),
      });
    }
  }
  // Findings in rule order: inbound, then outbound; ACL-wide ones first, direction-wide ones after the rules.
  const position = new Map<string, number>();
  for (const direction of ['inbound', 'outbound'] as const) {
    acl[direction].forEach((r, i) => {
      const key = `${direction}/${r.ruleNumber}/${r.family}`;
      if (!position.has(key)) position.set(key, i);
    });
  }
  const order = (f: Finding): number => {
    if (f.direction === null) return -1;
    let at = acl[f.direction].length;
    if (f.rule !== null) {
      at = -1;
      for (const family of f.family === null ? [4, 6] : [f.family]) {
        const i = position.get(`${f.direction}/${f.rule}/${family}`);
        if (i !== undefined && (at < 0 || i < at)) at = i;
      }
    }
    return (f.direction === 'inbound' ? 0 : 1 << 20) + at;
  };
  const icmpFlagged = new Set(findings.filter((f) => f.code === 'ICMPV4_ON_IPV6').map((f) => `${f.direction}/${f.rule}`));
  const kept = findings.filter((f) => !(f.code === 'UNMATCHABLE_RULE' && icmpFlagged.has(`${f.direction}/${f.rule}`)));
  kept.sort((a, b) => order(a) - order(b));
  return {
    id: acl.id,
    name: acl.name,
    file: acl.file,
    format: acl.format,
    rules: { inbound: acl.inbound.filter((r) => r.ruleNumber !== '*').length, outbound: acl.outbound.filter((r) => r.ruleNumber !== '*').length },
    findings: kept,
    coverage,
  };
}

/** "egress allows IPv4 TCP return ports 32768-61000: linux 100%, windows 73% (61001-65535 not allowed), ..." */
export function coverageSentence(c: CoverageReport): string {
  const profiles = c.profiles
    .map((p) => {
      const pct = percent(p.share);
      return p.share > 0 && p.share < 1 ? `${p.name} ${pct} (${formatRanges(p.missing, 3)} not allowed)` : `${p.name} ${pct}`;
    })
    .join(', ');
  return `${awsName(c.direction)} allows IPv${c.family} ${c.protocol.toUpperCase()} return ports ${formatRanges(c.allowed.filter(([, b]) => b >= 1024), 4)}: ${profiles}`;
}

const FAR: Record<4 | 6, string> = { 4: '198.51.100.7', 6: '2001:db8::7' };

/** Judge one probe per destination port (TCP with ACK, UDP) from/to a far address, per direction, family and protocol. */
function ephemeralCoverage(acl: Acl): CoverageReport[] {
  const out: CoverageReport[] = [];
  for (const direction of ['inbound', 'outbound'] as const) {
    const list = acl[direction];
    const compiled = compileRules(list);
    const allow = Uint8Array.from(list, (r) => (r.action === 'allow' ? 1 : 0));
    for (const family of [4, 6] as const) {
      if (!list.some((r) => r.family === family && r.ruleNumber !== '*')) continue;
      const { words, text } = localAddress(acl, family);
      const local: Host = { family, words };
      const far: Host = family === 4 ? { family, words: [0xc6336407, 0, 0, 0] } : { family, words: [0x20010db8, 0, 0, 7] };
      for (const protocol of ['tcp', 'udp'] as const) {
        const [src, dst] = direction === 'inbound' ? [far, local] : [local, far];
        const allowed = directionAllows(compiled, allow, src, dst, protocol === 'tcp' ? 6 : 17, 443, ProbeFlags.ACK);
        out.push({
          direction,
          family,
          protocol,
          probe: direction === 'inbound' ? { src: FAR[family], dst: text, sport: 443 } : { src: text, dst: FAR[family], sport: 443 },
          allowed: portRanges(allowed, 0, 65535, 1),
          profiles: PORT_PROFILES.map((pr) => profileCoverage(pr, allowed)),
        });
      }
    }
  }
  return out;
}

/** An address inside the ACL's subnet (first association of the family, else a private address). */
function localAddress(acl: Acl, family: 4 | 6): { words: [number, number, number, number]; text: string } {
  for (const a of acl.associations) {
    if (!a.cidr) continue;
    const isV6 = a.cidr.includes(':');
    if ((family === 6) !== isV6) continue;
    const [addr, len] = a.cidr.split('/');
    if (family === 4) {
      const parts = addr!.split('.').map(Number);
      const base = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
      const host = Number(len) <= 28 ? 10 : 0;
      const w = (base + host) >>> 0;
      return { words: [w, 0, 0, 0], text: `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}` };
    }
  }
  return family === 4 ? { words: [0x0a00000a, 0, 0, 0], text: '10.0.0.10' } : { words: [0xfd000000, 0, 0, 0x10], text: 'fd00::10' };
}

