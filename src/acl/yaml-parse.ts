/**
 * The one way YAML inputs (native ACLs, CloudFormation templates, topologies) are parsed: syntax errors, unknown
 * tags, alias bombs ("billion laughs") and nesting too deep for the parser become one-line AclInvalidErrors naming
 * the file and line, never an internal error.
 */
import { Composer, LineCounter, Parser, YAMLParseError, type CST, type Document, type DocumentOptions, type ParseOptions, type SchemaOptions, type Tags } from 'yaml';
import { AclInvalidError } from '../errors.js';
import { excerpt } from '../text/quote.js';

/** Most nodes the aliases of one document may expand to (yaml's maxAliasCount: alias uses x aliased size). */
export const MAX_ALIAS_EXPANSION = 1000;

/**
 * Deepest nesting of collections accepted. yaml composes recursively: near the stack's end V8 may even abort the
 * process (a regexp compiled there fails "out of memory"), so depth is measured on the parser's tokens first,
 * without recursion, and refused well before that (yaml overflows at about 1000 levels on a default stack).
 */
export const MAX_YAML_DEPTH = 100;

/** A parsed YAML document with its plain JS value and line numbers. */
export interface ParsedYaml {
  doc: Document;
  value: unknown;
  lines: LineCounter;
}

export interface YamlParseOptions {
  /** Tags besides YAML's own (the CloudFormation short forms); any other tag is an error. */
  customTags?: Tags;
  /** Allow repeated keys in a mapping (CloudFormation tolerates them; the last wins). */
  duplicateKeys?: boolean;
}

/**
 * Parse as parseYaml does, but answer null instead of throwing for what another reading may accept (a syntax error
 * such as a repeated key, an unknown tag): the caller tries its other reading. Bombs and depth still throw.
 */
export function tryParseYaml(text: string, file: string, opts: YamlParseOptions = {}): ParsedYaml | null {
  try {
    return parseYaml(text, file, opts);
  } catch (e) {
    if (e instanceof AclInvalidError && /^(not valid YAML|unknown YAML tag)/.test(e.detail)) return null;
    throw e;
  }
}

/** 1-based line of character offset `pos` in `text` (for parse errors). */
export function lineAt(text: string, pos: number): number {
  pos = Math.min(pos, text.trimEnd().length); // an error "at the end" is on the last line, not after it
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < pos; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

/** The first node nested deeper than `limit` in the parser's tokens, walked without recursion; null when none is. */
function tooDeep(tokens: CST.Token[], limit: number): CST.Token | null {
  const stack: [CST.Token, number][] = tokens.map((t) => [t, 0]);
  while (stack.length > 0) {
    const [t, depth] = stack.pop()!;
    if (depth > limit) return t;
    if (t.type === 'document') {
      if (t.value) stack.push([t.value, depth]);
    } else if (t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection') {
      for (const item of t.items as CST.CollectionItem[]) {
        if (item.key) stack.push([item.key, depth + 1]);
        if (item.value) stack.push([item.value, depth + 1]);
      }
    }
  }
  return null;
}

/** Parse `text` (the content of `file`) as one YAML document; throws AclInvalidError for anything it cannot take. */
export function parseYaml(text: string, file: string, opts: YamlParseOptions = {}): ParsedYaml {
  const lines = new LineCounter();
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const deep = tooDeep(tokens, MAX_YAML_DEPTH);
  if (deep) throw new AclInvalidError(file, `YAML nests more than ${MAX_YAML_DEPTH} levels deep`, { line: lines.linePos(deep.offset).line });
  const options: ParseOptions & DocumentOptions & SchemaOptions = { prettyErrors: false, uniqueKeys: !opts.duplicateKeys, ...(opts.customTags ? { customTags: opts.customTags } : {}) };
  let doc: Document | null = null;
  try {
    for (const d of new Composer(options).compose(tokens, true, text.length)) {
      if (!doc) doc = d;
      else {
        doc.errors.push(new YAMLParseError([d.range[0], d.range[1]], 'MULTIPLE_DOCS', 'the file holds several YAML documents; give one'));
        break;
      }
    }
  } catch (e) {
    if (isStackOverflow(e)) throw new AclInvalidError(file, 'YAML nests too deeply to read');
    throw e;
  }
  if (!doc) throw new AclInvalidError(file, 'no YAML document');
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = lineAt(text, e.pos[0]);
    if (/call stack/i.test(e.message)) throw new AclInvalidError(file, 'YAML nests too deeply to read', { line });
    throw new AclInvalidError(file, `not valid YAML: ${excerpt(e.message.split('\n')[0]!)}`, { line });
  }
  for (const w of doc.warnings) {
    if (w.code !== 'TAG_RESOLVE_FAILED') continue;
    const tag = /tag:?\s*(\S+)/i.exec(w.message)?.[1] ?? w.message;
    const known = opts.customTags ? ' (known here: YAML tags and the CloudFormation short forms !Ref, !Sub, !If, ...)' : '';
    throw new AclInvalidError(file, `unknown YAML tag ${excerpt(tag)}${known}`, { line: lineAt(text, w.pos[0]) });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSION });
  } catch (e) {
    if (e instanceof ReferenceError && /alias/i.test(e.message)) {
      if (/Excessive alias count/.test(e.message)) {
        throw new AclInvalidError(file, `YAML aliases expand to more than ${MAX_ALIAS_EXPANSION} nodes (an alias bomb?); write the values out instead`);
      }
      throw new AclInvalidError(file, `YAML alias error: ${excerpt(e.message)}`);
    }
    if (isStackOverflow(e)) throw new AclInvalidError(file, 'YAML nests too deeply to read');
    throw e;
  }
  return { doc, value, lines };
}
