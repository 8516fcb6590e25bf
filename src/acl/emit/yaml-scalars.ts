/**
 * Plain YAML scalars that read back as the same string under YAML 1.2 (our readers, the yaml package) and YAML 1.1
 * (CloudFormation's parser reads `yes`, `on`, `0o17` or `2010-09-09` differently): every other string is quoted, and
 * so is every string starting with ':'.
 */
import YAML, { Scalar, type Document } from 'yaml';

function readsAsString(s: string, version: '1.1' | '1.2'): boolean {
  try {
    return YAML.parse(s, { version, logLevel: 'silent' }) === s;
  } catch {
    return false;
  }
}

/** Double-quote every string scalar (keys too) that a YAML 1.1 or 1.2 reader would not read back as itself. */
export function quoteAmbiguousStrings(doc: Document): void {
  YAML.visit(doc, {
    Scalar(_key, node: Scalar) {
      if (typeof node.value !== 'string' || node.type === Scalar.BLOCK_LITERAL) return;
      if (node.tag !== undefined && node.tag !== 'tag:yaml.org,2002:str') return;
      // IPv6 prefixes such as ::/0 are plain-safe in YAML 1.2, but the README (and older readers) quote them.
      if (node.value.startsWith(':') || !readsAsString(node.value, '1.1') || !readsAsString(node.value, '1.2')) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
}
