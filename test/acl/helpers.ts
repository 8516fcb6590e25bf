/** Shared paths and small helpers for the ACL tests. */
import { join } from 'node:path';
import { expect } from 'vitest';
import { AclInvalidError } from '../../src/errors.js';
import { CORPUS_DIR, REPO_ROOT } from '../helpers/corpus.js';
import type { Acl, Rule } from '../../src/acl/model.js';
import { formatCidr } from '../../src/acl/model.js';

export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'acl');
export const NACL = join(CORPUS_DIR, 'nacl');
export const CLASSBENCH = join(CORPUS_DIR, 'classbench');

/** A rule of `acl` by direction, rule number and family. */
export function rule(acl: Acl, direction: 'inbound' | 'outbound', n: number | '*', family: 4 | 6 = 4): Rule {
  const r = acl[direction].find((x) => x.ruleNumber === n && x.family === family);
  if (!r) throw new Error(`no ${direction} rule ${n} (IPv${family}) in ${acl.id}`);
  return r;
}

/** The interesting fields of a rule as text-friendly values. */
export function brief(r: Rule): Record<string, unknown> {
  return {
    n: r.ruleNumber,
    action: r.action,
    family: r.family,
    proto: r.protocolMask === 0 ? 'all' : r.protocol,
    src: formatCidr(r.src),
    dst: formatCidr(r.dst),
    sport: r.srcPorts,
    dport: r.dstPorts,
    icmp: [r.icmpType, r.icmpCode],
  };
}

/** Run fn, expect an AclInvalidError, return it. */
export function invalid(fn: () => unknown): AclInvalidError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AclInvalidError);
    expect((e as Error).message.split('\n')).toHaveLength(1);
    return e as AclInvalidError;
  }
  throw new Error('expected an AclInvalidError');
}
