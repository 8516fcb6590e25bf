/**
 * A small parser and evaluator for the HCL native syntax subset that Terraform network ACLs are written in
 * (https://github.com/hashicorp/hcl/blob/main/hclsyntax/spec.md): bodies of attributes and blocks; expressions with
 * literals, string templates, tuples, objects, variables and traversals, function calls, unary/binary operators and
 * conditionals. For and splat expressions parse (so a file never fails on them) but do not evaluate. Evaluation
 * knows var.* (given values or variable defaults), local.*, and a few pure functions; anything else is reported as
 * an expression it cannot evaluate, with its text and line.
 */
import { describeValue, excerpt } from '../../text/quote.js';

/** An expression node; `line` is 1-based. */
export type Expr =
  | { kind: 'literal'; value: unknown; line: number }
  | { kind: 'template'; parts: (string | Expr)[]; line: number }
  | { kind: 'tuple'; items: Expr[]; line: number }
  | { kind: 'object'; items: { key: Expr; value: Expr }[]; line: number }
  | { kind: 'variable'; name: string; line: number }
  | { kind: 'getattr'; target: Expr; name: string; line: number }
  | { kind: 'index'; target: Expr; key: Expr; line: number }
  | { kind: 'call'; name: string; args: Expr[]; line: number }
  | { kind: 'unary'; op: string; operand: Expr; line: number }
  | { kind: 'binary'; op: string; left: Expr; right: Expr; line: number }
  | { kind: 'conditional'; cond: Expr; then: Expr; else: Expr; line: number }
  | { kind: 'unsupported'; what: string; line: number };

export interface Attribute {
  name: string;
  expr: Expr;
  line: number;
  /** Source text of the expression, for messages. */
  text: string;
}

export interface Block {
  type: string;
  labels: string[];
  body: Body;
  line: number;
}

export interface Body {
  attributes: Map<string, Attribute>;
  blocks: Block[];
}

/** Raised for text that is not HCL; `line` is 1-based. */
export class HclSyntaxError extends Error {
  constructor(
    readonly detail: string,
    readonly line: number,
  ) {
    super(detail);
  }
}

type TokKind = 'ident' | 'number' | 'string' | 'heredoc' | 'punct' | 'newline' | 'eof';
interface Token {
  kind: TokKind;
  text: string;
  line: number;
  start: number;
  end: number;
}

const PUNCT = ['==', '!=', '<=', '>=', '&&', '||', '=>', '...', '{', '}', '[', ']', '(', ')', '=', ',', '.', ':', '?', '+', '-', '*', '/', '%', '<', '>', '!'];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  const push = (kind: TokKind, text: string, start: number) => out.push({ kind, text, line, start, end: i });
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') {
      i++;
      push('newline', '\n', i - 1);
      line++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#' || (c === '/' && src[i + 1] === '/')) {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new HclSyntaxError('unterminated /* comment', line);
      for (let k = i; k < end; k++) if (src[k] === '\n') line++;
      i = end + 2;
      continue;
    }
    const start = i;
    if (/[A-Za-z_]/.test(c)) {
      while (i < src.length && /[A-Za-z0-9_-]/.test(src[i]!)) i++;
      push('ident', src.slice(start, i), start);
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(i))!;
      i += m[0].length;
      push('number', m[0], start);
      continue;
    }
    if (c === '"') {
      i++;
      let depth = 0;
      while (i < src.length) {
        const d = src[i]!;
        if (d === '\\') {
          i += 2;
          continue;
        }
        if (depth === 0 && d === '"') break;
        if (d === '\n' && depth === 0) throw new HclSyntaxError('unterminated string', line);
        if ((d === '$' || d === '%') && src[i + 1] === '{' && src[i - 1] !== d) {
          depth++;
          i += 2;
          continue;
        }
        if (depth > 0 && d === '}') depth--;
        else if (depth > 0 && d === '{') depth++;
        i++;
      }
      if (i >= src.length) throw new HclSyntaxError('unterminated string', line);
      i++;
      push('string', src.slice(start + 1, i - 1), start);
      continue;
    }
    if (c === '<' && src[i + 1] === '<') {
      const m = /^<<(-?)([A-Za-z_][A-Za-z0-9_]*)[ \t]*\r?\n/.exec(src.slice(i));
      if (m) {
        const startLine = line;
        i += m[0].length;
        line++;
        const lines: string[] = [];
        for (;;) {
          const nl = src.indexOf('\n', i);
          const text = src.slice(i, nl < 0 ? src.length : nl).replace(/\r$/, '');
          i = nl < 0 ? src.length : nl + 1;
          if (text.trim() === m[2]) break;
          lines.push(text);
          line++;
          if (nl < 0) throw new HclSyntaxError(`unterminated heredoc <<${m[2]}`, startLine);
        }
        let body = lines;
        if (m[1] === '-') {
          const indent = lines.reduce((m, l) => (l.trim() === '' ? m : Math.min(m, /^\s*/.exec(l)![0].length)), Infinity);
          body = lines.map((l) => l.slice(indent));
        }
        out.push({ kind: 'heredoc', text: body.join('\n') + '\n', line: startLine, start, end: i });
        line++;
        out.push({ kind: 'newline', text: '\n', line: line - 1, start: i - 1, end: i });
        continue;
      }
    }
    const p = PUNCT.find((x) => src.startsWith(x, i));
    if (!p) throw new HclSyntaxError(`unexpected character '${c}'`, line);
    i += p.length;
    push('punct', p, start);
  }
  out.push({ kind: 'eof', text: '', line, start: i, end: i });
  return out;
}

function unescape(s: string, line: number): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, e: string) => {
    switch (e[0]) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case '"':
        return '"';
      case '\\':
        return '\\';
      case 'u':
      case 'U': {
        const cp = parseInt(e.slice(1), 16);
        if (cp > 0x10ffff) throw new HclSyntaxError(`escape \\${e} is not a Unicode code point`, line);
        return String.fromCodePoint(cp);
      }
      default:
        throw new HclSyntaxError(`unknown escape \\${e}`, line);
    }
  });
}

/** Deepest nesting the parser follows (blocks, brackets, parentheses, unary operators, interpolations, traversal steps). */
export const MAX_NESTING = 64;

class Parser {
  private pos = 0;
  constructor(
    private readonly toks: Token[],
    private readonly src: string,
    /** Nesting already entered (an interpolation is parsed inside the expression that holds it). */
    private depth = 0,
  ) {}

  /** Go one level deeper, refusing to pass MAX_NESTING (a stack overflow otherwise); leave() undoes it. */
  private enter(line: number): void {
    if (++this.depth > MAX_NESTING) throw new HclSyntaxError(`expressions or blocks nest more than ${MAX_NESTING} levels deep`, line);
  }
  private leave(): void {
    this.depth--;
  }

  private peek(): Token {
    return this.toks[this.pos]!;
  }
  private next(): Token {
    return this.toks[this.pos++]!;
  }
  private is(text: string): boolean {
    const t = this.peek();
    return (t.kind === 'punct' || t.kind === 'ident') && t.text === text;
  }
  private expect(text: string): Token {
    const t = this.next();
    if (t.text !== text || (t.kind !== 'punct' && t.kind !== 'ident')) throw new HclSyntaxError(`expected '${text}', found ${describe(t)}`, t.line);
    return t;
  }
  private skipNewlines(): void {
    while (this.peek().kind === 'newline') this.pos++;
  }

  body(end: string | null, openLine = 0): Body {
    this.enter(this.peek().line);
    const body = this.bodyItems(end, openLine);
    this.leave();
    return body;
  }

  private bodyItems(end: string | null, openLine: number): Body {
    const body: Body = { attributes: new Map(), blocks: [] };
    for (;;) {
      this.skipNewlines();
      const t = this.peek();
      if (end === null ? t.kind === 'eof' : t.kind === 'punct' && t.text === end) return body;
      if (t.kind === 'eof') throw new HclSyntaxError(`missing '}' for the block opened here`, openLine || t.line);
      if (t.kind !== 'ident') throw new HclSyntaxError(`expected an attribute or block, found ${describe(t)}`, t.line);
      this.next();
      if (this.is('=')) {
        this.next();
        const start = this.peek().start;
        const expr = this.expr();
        const text = this.src.slice(start, this.toks[this.pos - 1]!.end).trim();
        if (body.attributes.has(t.text)) throw new HclSyntaxError(`attribute '${t.text}' set twice`, t.line);
        body.attributes.set(t.text, { name: t.text, expr, line: t.line, text });
        this.endOfItem();
        continue;
      }
      const labels: string[] = [];
      while (this.peek().kind === 'string' || this.peek().kind === 'ident') labels.push(this.next().text);
      this.expect('{');
      const inner = this.body('}', t.line);
      this.expect('}');
      body.blocks.push({ type: t.text, labels, body: inner, line: t.line });
      this.endOfItem();
    }
  }

  private endOfItem(): void {
    const t = this.peek();
    if (t.kind === 'newline' || t.kind === 'eof' || (t.kind === 'punct' && t.text === '}')) return;
    throw new HclSyntaxError(`expected a new line, found ${describe(t)}`, t.line);
  }

  expr(): Expr {
    this.enter(this.peek().line);
    const e = this.conditional();
    this.leave();
    return e;
  }

  private conditional(): Expr {
    const cond = this.binary(0);
    if (this.is('?')) {
      this.next();
      const then = this.expr();
      this.expect(':');
      const otherwise = this.expr();
      return { kind: 'conditional', cond, then, else: otherwise, line: cond.line };
    }
    return cond;
  }

  private static readonly PREC: Record<string, number> = { '||': 1, '&&': 2, '==': 3, '!=': 3, '<': 4, '>': 4, '<=': 4, '>=': 4, '+': 5, '-': 5, '*': 6, '/': 6, '%': 6 };

  private binary(min: number): Expr {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      const prec = t.kind === 'punct' ? Parser.PREC[t.text] : undefined;
      if (prec === undefined || prec <= min) return left;
      this.next();
      const right = this.binary(prec);
      left = { kind: 'binary', op: t.text, left, right, line: t.line };
    }
  }

  private unary(): Expr {
    if (this.is('-') || this.is('!')) {
      const t = this.next();
      this.enter(t.line);
      const operand = this.unary();
      this.leave();
      return { kind: 'unary', op: t.text, operand, line: t.line };
    }
    return this.postfix(this.primary());
  }

  private postfix(e: Expr): Expr {
    for (let steps = 0; ; steps++) {
      if (steps > MAX_NESTING) throw new HclSyntaxError(`a traversal of more than ${MAX_NESTING} steps`, e.line);
      if (this.is('.')) {
        const dot = this.next();
        const t = this.next();
        if (t.kind === 'ident' || t.kind === 'number') e = { kind: 'getattr', target: e, name: t.text, line: dot.line };
        else if (t.kind === 'punct' && t.text === '*') e = { kind: 'unsupported', what: 'splat expression', line: dot.line };
        else throw new HclSyntaxError(`expected an attribute name after '.', found ${describe(t)}`, t.line);
      } else if (this.is('[')) {
        const open = this.next();
        this.skipNewlines();
        if (this.is('*')) {
          this.next();
          this.skipNewlines();
          this.expect(']');
          e = { kind: 'unsupported', what: 'splat expression', line: open.line };
          continue;
        }
        const key = this.expr();
        this.skipNewlines();
        this.expect(']');
        e = { kind: 'index', target: e, key, line: open.line };
      } else return e;
    }
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'number':
        return { kind: 'literal', value: Number(t.text), line: t.line };
      case 'string':
        return this.template(t.text, t.line);
      case 'heredoc':
        return this.template(t.text, t.line, true);
      case 'ident': {
        if (t.text === 'true' || t.text === 'false') return { kind: 'literal', value: t.text === 'true', line: t.line };
        if (t.text === 'null') return { kind: 'literal', value: null, line: t.line };
        if (this.is('(')) {
          this.next();
          const args: Expr[] = [];
          this.skipNewlines();
          while (!this.is(')')) {
            args.push(this.expr());
            this.skipNewlines();
            if (this.is('...')) this.next();
            if (this.is(',')) this.next();
            this.skipNewlines();
          }
          this.expect(')');
          return { kind: 'call', name: t.text, args, line: t.line };
        }
        return { kind: 'variable', name: t.text, line: t.line };
      }
      case 'punct':
        if (t.text === '(') {
          this.skipNewlines();
          const e = this.expr();
          this.skipNewlines();
          this.expect(')');
          return e;
        }
        if (t.text === '[') return this.tuple(t);
        if (t.text === '{') return this.object(t);
        break;
      default:
        break;
    }
    throw new HclSyntaxError(`expected an expression, found ${describe(t)}`, t.line);
  }

  private skipBalanced(open: Token): void {
    const close = open.text === '[' ? ']' : '}';
    let depth = 1;
    while (depth > 0) {
      const t = this.next();
      if (t.kind === 'eof') throw new HclSyntaxError(`missing '${close}'`, open.line);
      if (t.kind === 'punct' && (t.text === '[' || t.text === '{' || t.text === '(')) depth++;
      if (t.kind === 'punct' && (t.text === ']' || t.text === '}' || t.text === ')')) depth--;
    }
  }

  private tuple(open: Token): Expr {
    this.skipNewlines();
    if (this.is('for')) {
      this.skipBalanced(open);
      return { kind: 'unsupported', what: 'for expression', line: open.line };
    }
    const items: Expr[] = [];
    while (!this.is(']')) {
      items.push(this.expr());
      this.skipNewlines();
      if (this.is(',')) this.next();
      else if (!this.is(']')) throw new HclSyntaxError(`expected ',' or ']' in a list, found ${describe(this.peek())}`, this.peek().line);
      this.skipNewlines();
    }
    this.expect(']');
    return { kind: 'tuple', items, line: open.line };
  }

  private object(open: Token): Expr {
    this.skipNewlines();
    if (this.is('for')) {
      this.skipBalanced(open);
      return { kind: 'unsupported', what: 'for expression', line: open.line };
    }
    const items: { key: Expr; value: Expr }[] = [];
    while (!this.is('}')) {
      const k = this.peek();
      let key: Expr;
      if (k.kind === 'ident' && (this.toks[this.pos + 1]!.text === '=' || this.toks[this.pos + 1]!.text === ':')) {
        this.next();
        key = { kind: 'literal', value: k.text, line: k.line };
      } else key = this.expr();
      const sep = this.next();
      if (sep.text !== '=' && sep.text !== ':') throw new HclSyntaxError(`expected '=' after an object key, found ${describe(sep)}`, sep.line);
      const value = this.expr();
      items.push({ key, value });
      if (this.is(',')) this.next();
      else if (this.peek().kind !== 'newline' && !this.is('}')) throw new HclSyntaxError(`expected ',' or a new line in an object, found ${describe(this.peek())}`, this.peek().line);
      this.skipNewlines();
    }
    this.expect('}');
    return { kind: 'object', items, line: open.line };
  }

  private template(raw: string, line: number, heredoc = false): Expr {
    const parts: (string | Expr)[] = [];
    let lit = '';
    let i = 0;
    while (i < raw.length) {
      if ((raw[i] === '$' || raw[i] === '%') && raw[i + 1] === raw[i] && raw[i + 2] === '{') {
        lit += `${raw[i]}{`;
        i += 3;
        continue;
      }
      if ((raw[i] === '$' || raw[i] === '%') && raw[i + 1] === '{') {
        let depth = 1;
        let j = i + 2;
        while (j < raw.length && depth > 0) {
          if (raw[j] === '{') depth++;
          else if (raw[j] === '}') depth--;
          j++;
        }
        const inner = raw.slice(i + 2, j - 1);
        if (lit) parts.push(heredoc ? lit : unescape(lit, line));
        lit = '';
        if (raw[i] === '%') parts.push({ kind: 'unsupported', what: 'template directive', line });
        else parts.push(parseExpression(inner.replace(/^~|~$/g, ''), line, this.depth + 1));
        i = j;
        continue;
      }
      lit += raw[i];
      i++;
    }
    if (lit || parts.length === 0) parts.push(heredoc ? lit : unescape(lit, line));
    if (parts.length === 1 && typeof parts[0] === 'string') return { kind: 'literal', value: parts[0], line };
    return { kind: 'template', parts, line };
  }
}

function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of file';
  if (t.kind === 'newline') return 'a new line';
  return `'${excerpt(t.text, 20)}'`;
}

/** Parse a whole file into its top-level body. */
export function parseHcl(src: string): Body {
  const p = new Parser(tokenize(src), src);
  return p.body(null);
}

function parseExpression(src: string, line: number, depth: number): Expr {
  if (depth > MAX_NESTING) throw new HclSyntaxError(`interpolations nest more than ${MAX_NESTING} levels deep`, line);
  const toks = tokenize(src).filter((t) => t.kind !== 'newline');
  for (const t of toks) t.line += line - 1;
  return new Parser(toks, src, depth).expr();
}

/** Raised when an expression needs something the evaluator does not have (a resource attribute, a for expression). */
export class HclEvalError extends Error {
  constructor(
    readonly detail: string,
    readonly line: number,
  ) {
    super(detail);
  }
}

/** Values for var.* and local.*; locals are evaluated on demand, once each. */
export interface Scope {
  vars: Map<string, unknown>;
  locals: Map<string, Expr>;
  /** Locals already evaluated. */
  localValues?: Map<string, unknown>;
  /** Locals being evaluated, outermost first (a name met again is a loop). */
  evaluating?: string[];
  /** Evaluation steps taken so far in this scope, against MAX_EVAL_STEPS. */
  steps?: number;
}

/** Deepest evaluation (nested expressions plus locals referring to locals). */
export const MAX_EVAL_DEPTH = 128;
/** Most evaluation steps one file may take: expressions that multiply through locals stop here. */
export const MAX_EVAL_STEPS = 1_000_000;
/** Longest list or string one expression may build. */
const MAX_VALUE_LENGTH = 1 << 20;

/** Evaluate an expression to a plain JS value (numbers, strings, booleans, null, arrays, objects). */
export function evaluate(e: Expr, scope: Scope, depth = 0): unknown {
  if (depth > MAX_EVAL_DEPTH) throw new HclEvalError(`expression nests more than ${MAX_EVAL_DEPTH} levels deep`, e.line);
  scope.steps = (scope.steps ?? 0) + 1;
  if (scope.steps > MAX_EVAL_STEPS) throw new HclEvalError(`evaluation takes more than ${MAX_EVAL_STEPS} steps (locals that multiply each other?)`, e.line);
  const ev = (x: Expr) => evaluate(x, scope, depth + 1);
  switch (e.kind) {
    case 'literal':
      return e.value;
    case 'template': {
      let out = '';
      for (const p of e.parts) {
        out += typeof p === 'string' ? p : String(ev(p));
        if (out.length > MAX_VALUE_LENGTH) throw new HclEvalError(`string template builds more than ${MAX_VALUE_LENGTH} characters`, e.line);
      }
      return out;
    }
    case 'tuple':
      return e.items.map(ev);
    case 'object': {
      // Object.fromEntries: an own property for every key, "__proto__" too (an assignment would set the prototype).
      return Object.fromEntries(e.items.map((it) => [String(ev(it.key)), ev(it.value)]));
    }
    case 'variable':
      throw new HclEvalError(`'${excerpt(e.name)}' is only known to Terraform (run terraform plan and give 'terraform show -json' output instead)`, e.line);
    case 'getattr': {
      const base = rootExpr(e);
      if (base.kind === 'unsupported') return ev(base);
      const root = rootName(e);
      if (root === 'var' && e.target.kind === 'variable') {
        if (!scope.vars.has(e.name)) throw new HclEvalError(`var.${excerpt(e.name)} has no value (pass --param ${excerpt(e.name)}=VALUE or give the variable a default)`, e.line);
        return scope.vars.get(e.name);
      }
      if (root === 'local' && e.target.kind === 'variable') return local(e.name, scope, depth, e.line);
      if (root !== 'var' && root !== 'local') throw new HclEvalError(`${excerpt(traversalText(e))} is only known to Terraform (run terraform plan and give 'terraform show -json' output instead)`, e.line);
      const target = ev(e.target);
      if (target === null || typeof target !== 'object' || !Object.hasOwn(target, e.name)) throw new HclEvalError(`no attribute '${excerpt(e.name)}' in ${excerpt(traversalText(e.target))}`, e.line);
      return (target as Record<string, unknown>)[e.name];
    }
    case 'index': {
      const target = ev(e.target);
      const key = ev(e.key);
      if (Array.isArray(target) && typeof key === 'number' && key >= 0 && key < target.length) return target[key];
      if (target !== null && typeof target === 'object' && !Array.isArray(target) && Object.hasOwn(target, String(key))) return (target as Record<string, unknown>)[String(key)];
      throw new HclEvalError(`index ${describeValue(key)} not found in ${excerpt(traversalText(e.target))}`, e.line);
    }
    case 'call':
      return callFunction(e.name, e.args.map(ev), e.line);
    case 'unary': {
      const v = ev(e.operand);
      return e.op === '-' ? -Number(v) : !v;
    }
    case 'binary': {
      const l = ev(e.left);
      const r = ev(e.right);
      switch (e.op) {
        case '+':
          return Number(l) + Number(r);
        case '-':
          return Number(l) - Number(r);
        case '*':
          return Number(l) * Number(r);
        case '/':
          return Number(l) / Number(r);
        case '%':
          return Number(l) % Number(r);
        case '==':
          return JSON.stringify(l) === JSON.stringify(r);
        case '!=':
          return JSON.stringify(l) !== JSON.stringify(r);
        case '<':
          return Number(l) < Number(r);
        case '>':
          return Number(l) > Number(r);
        case '<=':
          return Number(l) <= Number(r);
        case '>=':
          return Number(l) >= Number(r);
        case '&&':
          return Boolean(l) && Boolean(r);
        default:
          return Boolean(l) || Boolean(r);
      }
    }
    case 'conditional':
      return ev(e.cond) ? ev(e.then) : ev(e.else);
    case 'unsupported':
      throw new HclEvalError(`${e.what} is not evaluated here (give 'terraform show -json' output instead)`, e.line);
  }
}

/** local.<name>, evaluated once; a local that needs itself is a loop named by its chain. */
function local(name: string, scope: Scope, depth: number, line: number): unknown {
  const values = (scope.localValues ??= new Map());
  if (values.has(name)) return values.get(name);
  const x = scope.locals.get(name);
  if (!x) throw new HclEvalError(`local.${excerpt(name)} is not defined`, line);
  const evaluating = (scope.evaluating ??= []);
  const at = evaluating.indexOf(name);
  if (at >= 0) throw new HclEvalError(`locals refer to each other in a loop: ${[...evaluating.slice(at), name].map((n) => `local.${excerpt(n, 40)}`).join(' -> ')}`, line);
  evaluating.push(name);
  try {
    const v = evaluate(x, scope, depth + 1);
    values.set(name, v);
    return v;
  } finally {
    evaluating.pop();
  }
}

function callFunction(name: string, args: unknown[], line: number): unknown {
  switch (name) {
    case 'concat': {
      if (!args.every(Array.isArray)) throw new HclEvalError('concat() takes lists', line);
      let length = 0;
      for (const a of args as unknown[][]) length += a.length;
      if (length > MAX_VALUE_LENGTH) throw new HclEvalError(`concat() builds a list of ${length} items, more than ${MAX_VALUE_LENGTH}`, line);
      return (args as unknown[][]).flat(1);
    }
    case 'tonumber':
      return Number(args[0]);
    case 'tostring':
      return String(args[0]);
    case 'tolist':
    case 'toset':
      return args[0];
    case 'lower':
      return String(args[0]).toLowerCase();
    case 'upper':
      return String(args[0]).toUpperCase();
    case 'length':
      if (Array.isArray(args[0]) || typeof args[0] === 'string') return args[0].length;
      if (args[0] !== null && typeof args[0] === 'object') return Object.keys(args[0]).length;
      throw new HclEvalError(`length() takes a list, a map or a string, not ${describeValue(args[0])}`, line);
    case 'merge':
      if (!args.every((a) => a === null || (typeof a === 'object' && !Array.isArray(a)))) throw new HclEvalError('merge() takes maps', line);
      return Object.assign({}, ...(args as object[]));
    case 'lookup': {
      const m = args[0] as Record<string, unknown>;
      if (m && typeof m === 'object' && Object.hasOwn(m, String(args[1]))) return m[String(args[1])];
      if (args.length > 2) return args[2];
      throw new HclEvalError(`lookup(): key ${describeValue(args[1])} not found`, line);
    }
    default:
      throw new HclEvalError(`function ${excerpt(name)}() is not evaluated here (give 'terraform show -json' output instead)`, line);
  }
}

function rootExpr(e: Expr): Expr {
  let x: Expr = e;
  while (x.kind === 'getattr' || x.kind === 'index') x = x.target;
  return x;
}

function rootName(e: Expr): string | null {
  const x = rootExpr(e);
  return x.kind === 'variable' ? x.name : null;
}

/** Text of a traversal such as aws_network_acl.main.id; '?' for parts that are not names. */
export function traversalText(e: Expr): string {
  if (e.kind === 'variable') return e.name;
  if (e.kind === 'getattr') return `${traversalText(e.target)}.${e.name}`;
  if (e.kind === 'index') return `${traversalText(e.target)}[${e.key.kind === 'literal' ? JSON.stringify(e.key.value) : '?'}]`;
  return '?';
}
