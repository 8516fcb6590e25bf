/** `--acl file#id`: which file, and which ACL of it. Kept apart from the importers so option checks load none. */
import { existsSync } from 'node:fs';

/** Split `file#id` into file and id; a path that exists as given (even with a '#') is a file. */
export function parseAclSpec(spec: string): { file: string; id: string | null } {
  const hash = spec.lastIndexOf('#');
  if (hash <= 0 || existsSync(spec)) return { file: spec, id: null };
  return { file: spec.slice(0, hash), id: spec.slice(hash + 1) };
}
