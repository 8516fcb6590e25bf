/**
 * ClassBench filter sets and header traces (Taylor & Turner, "ClassBench: a packet classification benchmark", 2005).
 * Filter line: `@src/len dst/len sLo : sHi dLo : dHi proto/mask [flags/mask]`, spaces or TABs, LF or CRLF.
 * ClassBench has no actions and no default rule: every rule imports as 'allow', priority = line order, no implicit
 * deny, so a packet that matches nothing classifies as -1. Trace line: `src dst sport dport proto [flags] label`.
 */
import { AclInvalidError } from '../../errors.js';
import { MAX_RULES, parseCidr, type Acl, type Cidr, type Rule } from '../model.js';
import { excerpt } from '../../text/quote.js';
import { packetColumns, type TracePackets } from '../trace.js';

const RULE_RE =
  /^@\s*(\S+)\s+(\S+)\s+(\d+)\s*:\s*(\d+)\s+(\d+)\s*:\s*(\d+)\s+(0[xX][0-9a-fA-F]+|\d+)\s*\/\s*(0[xX][0-9a-fA-F]+|\d+)(?:\s+(0[xX][0-9a-fA-F]+|\d+)\s*\/\s*(0[xX][0-9a-fA-F]+|\d+))?\s*$/;

/** True when the text looks like a ClassBench filter set (first non-blank line starts with '@'). */
export function looksLikeClassBench(text: string): boolean {
  const m = /^\s*(\S)/.exec(text);
  return m !== null && m[1] === '@';
}

/** True when the text looks like a ClassBench trace: lines of 6 or 7 decimal numbers. */
export function looksLikeTrace(text: string): boolean {
  const first = text.split('\n', 1)[0]!.trim();
  return /^\d+(\s+\d+){5,6}$/.test(first);
}

function num(s: string): number {
  return /^0[xX]/.test(s) ? parseInt(s.slice(2), 16) : Number(s);
}

/** Parse a filter set into one ACL whose inbound list holds the rules in line order (ruleNumber = 1-based rule index). */
export function parseClassBench(text: string, file: string): Acl {
  const rules: Rule[] = [];
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const where = { line: ln + 1 };
    if (rules.length === MAX_RULES) throw new AclInvalidError(file, `${excerpt(baseName(file), 80)}: ${MAX_RULES + 1} inbound rules; at most ${MAX_RULES} per direction`, where);
    const m = RULE_RE.exec(line.trim());
    if (!m) throw new AclInvalidError(file, `not a ClassBench filter line: '${clip(line)}' (expected '@src/len dst/len lo : hi lo : hi proto/mask [flags/mask]')`, where);
    const cidr = (text: string, what: string): Cidr => {
      const c = parseCidr(text);
      if (!c.ok || !text.includes('/')) throw new AclInvalidError(file, `invalid ${what} prefix '${excerpt(text, 60)}'${c.ok ? ': missing /length' : `: ${c.reason}`}`, where);
      return c.cidr;
    };
    const src = cidr(m[1]!, 'source');
    const dst = cidr(m[2]!, 'destination');
    if (src.family !== dst.family) throw new AclInvalidError(file, `source ${excerpt(m[1]!, 60)} and destination ${excerpt(m[2]!, 60)} are of different address families`, where);
    const ports = (lo: string, hi: string, what: string): [number, number] => {
      const a = Number(lo);
      const b = Number(hi);
      if (a > 65535 || b > 65535) throw new AclInvalidError(file, `${what} port range ${excerpt(lo, 20)} : ${excerpt(hi, 20)} outside 0-65535`, where);
      if (a > b) throw new AclInvalidError(file, `${what} port range ${lo} : ${hi} is inverted`, where);
      return [a, b];
    };
    const protocol = num(m[7]!);
    const protocolMask = num(m[8]!);
    if (protocol > 255 || protocolMask > 255) throw new AclInvalidError(file, `protocol ${excerpt(m[7]!, 20)}/${excerpt(m[8]!, 20)} outside 0-255`, where);
    let tcpFlags: Rule['tcpFlags'] = null;
    if (m[9] !== undefined) {
      const value = num(m[9]);
      const mask = num(m[10]!);
      if (value > 0xffff || mask > 0xffff) throw new AclInvalidError(file, `TCP flags ${excerpt(m[9], 20)}/${excerpt(m[10]!, 20)} outside 16 bits`, where);
      tcpFlags = { value, mask };
    }
    rules.push({
      ruleNumber: rules.length + 1,
      action: 'allow',
      family: src.family,
      protocol,
      protocolMask,
      src,
      dst,
      srcPorts: ports(m[3]!, m[4]!, 'source'),
      dstPorts: ports(m[5]!, m[6]!, 'destination'),
      icmpType: -1,
      icmpCode: -1,
      tcpFlags,
      origin: { file, line: ln + 1 },
    });
  }
  if (rules.length === 0) throw new AclInvalidError(file, 'no ClassBench filter lines');
  const base = baseName(file);
  return { id: base, name: base, file, format: 'classbench', inbound: rules, outbound: [], associations: [], tags: {}, warnings: [] };
}

/**
 * Parse a header trace: IPv4 packets with ports as given (ClassBench traces carry ports for every protocol), and the
 * last column as label. ehzuf/HyperSplit labels are the 1-based index of the first matching rule.
 */
export function parseClassBenchTrace(text: string, file: string): TracePackets {
  const lines = text.split('\n');
  // Every line is checked before the columns are allocated, so their size follows the packets really given.
  let n = 0;
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln]!.trim();
    if (line === '') continue;
    if (!TRACE_RE.test(line)) {
      throw new AclInvalidError(file, `not a ClassBench trace line: '${clip(line)}' (expected 'src dst sport dport proto [flags] label', decimal)`, { line: ln + 1 });
    }
    n++;
  }
  const p = packetColumns(n);
  const labels = new Int32Array(n);
  let hasFlags = false;
  let i = 0;
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln]!.trim();
    if (line === '') continue;
    const f = line.split(/\s+/);
    const v = f.map(Number);
    if (v[0]! > 0xffffffff || v[1]! > 0xffffffff || v[2]! > 65535 || v[3]! > 65535 || v[4]! > 255) {
      throw new AclInvalidError(file, `field out of range in '${clip(line)}'`, { line: ln + 1 });
    }
    p.family[i] = 4;
    p.src[4 * i] = v[0]!;
    p.dst[4 * i] = v[1]!;
    p.sport[i] = v[2]!;
    p.dport[i] = v[3]!;
    p.proto[i] = v[4]!;
    if (f.length === 7) {
      hasFlags = true;
      p.tcpFlags[i] = v[5]! & 0xffff;
    }
    labels[i] = v[f.length - 1]!;
    i++;
  }
  return { file, count: n, packets: p, labels, hasFlags };
}

const TRACE_RE = /^\d+(?:\s+\d+){5,6}$/;

function baseName(file: string): string {
  return file.split('/').pop() ?? file;
}

function clip(s: string): string {
  return excerpt(s, 60);
}
