import { describe, expect, it } from 'vitest';
import { evaluate, HclEvalError, HclSyntaxError, MAX_NESTING, parseHcl, type Scope } from '../../src/acl/formats/hcl.js';

const scope = (vars: Record<string, unknown> = {}): Scope => ({ vars: new Map(Object.entries(vars)), locals: new Map() });

function attr(src: string, name: string, s = scope()): unknown {
  const body = parseHcl(src);
  return evaluate(body.attributes.get(name)!.expr, s);
}

describe('HCL subset parser and evaluator', () => {
  it('literals, lists, objects with = or :, comments of the three kinds', () => {
    const src = `# c1\n// c2\n/* c3\n */\nn = 42\ns = "a\\tb"\nl = [1, "x",\n  true, null]\no = { a = 1, "b": 2\n  c = [3] }\nneg = -5\n`;
    expect(attr(src, 'n')).toBe(42);
    expect(attr(src, 's')).toBe('a\tb');
    expect(attr(src, 'l')).toEqual([1, 'x', true, null]);
    expect(attr(src, 'o')).toEqual({ a: 1, b: 2, c: [3] });
    expect(attr(src, 'neg')).toBe(-5);
  });

  it('blocks with labels, nested blocks and one-line blocks', () => {
    const body = parseHcl('resource "aws_network_acl" "x" {\n  ingress { rule_no = 1 }\n  egress {\n    rule_no = 2\n  }\n}\n');
    expect(body.blocks).toHaveLength(1);
    const b = body.blocks[0]!;
    expect([b.type, b.labels]).toEqual(['resource', ['aws_network_acl', 'x']]);
    expect(b.body.blocks.map((x) => [x.type, x.line])).toEqual([
      ['ingress', 2],
      ['egress', 3],
    ]);
  });

  it('templates, var/local traversal, index, functions, operators, conditionals, heredocs', () => {
    const s = scope({ cidr: '10.0.0.0/16', m: { k: [5, 6] } });
    const src = 'locals {\n  p = { https = 443 }\n}\na = "net-${var.cidr}"\nb = var.m.k[1]\nc = concat([1], [2, 3])\nd = 2 * 3 + 1\ne = var.cidr == "x" ? "yes" : "no"\nf = <<-EOT\n    hello\n    world\n  EOT\ng = "$${literal}"\n';
    const body = parseHcl(src);
    for (const [k, a] of body.blocks[0]!.body.attributes) s.locals.set(k, a.expr);
    const ev = (k: string) => evaluate(body.attributes.get(k)!.expr, s);
    expect(ev('a')).toBe('net-10.0.0.0/16');
    expect(ev('b')).toBe(6);
    expect(ev('c')).toEqual([1, 2, 3]);
    expect(ev('d')).toBe(7);
    expect(ev('e')).toBe('no');
    expect(ev('f')).toBe('  hello\n  world\n'.replace(/^ {2}/gm, ''));
    expect(ev('g')).toBe('${literal}');
  });

  it('for and splat expressions parse but do not evaluate', () => {
    const body = parseHcl('a = [for k, v in local.azs : cidrsubnet(local.c, 8, k)]\nb = aws_subnet.x[*].id\n');
    expect(() => evaluate(body.attributes.get('a')!.expr, scope())).toThrow(HclEvalError);
    expect(() => evaluate(body.attributes.get('b')!.expr, scope())).toThrow(/splat/);
  });

  it('resource references and unknown variables are evaluation errors with the line', () => {
    const body = parseHcl('\n\nx = aws_vpc.main.id\ny = var.nope\n');
    try {
      evaluate(body.attributes.get('x')!.expr, scope());
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(HclEvalError);
      expect((e as HclEvalError).line).toBe(3);
      expect((e as HclEvalError).detail).toContain('aws_vpc.main.id');
    }
    expect(() => evaluate(body.attributes.get('y')!.expr, scope())).toThrow(/--param nope=VALUE/);
  });

  it('syntax errors carry the line', () => {
    for (const [src, line] of [
      ['a = 1\nb = {\n', 3],
      ['a = "unterminated\n', 1],
      ['a = 1 2\n', 1],
      ['x {\n  y = 1\n', 1],
    ] as [string, number][]) {
      try {
        parseHcl(src);
        throw new Error(`parsed: ${src}`);
      } catch (e) {
        expect(e).toBeInstanceOf(HclSyntaxError);
        expect([src, (e as HclSyntaxError).line]).toEqual([src, line]);
      }
    }
  });
});

describe('HCL limits: nesting, loops and sizes are errors with the line, never a stack overflow', () => {
  const expectSyntax = (src: string, line: number, text: RegExp) => {
    try {
      parseHcl(src);
    } catch (e) {
      expect(e).toBeInstanceOf(HclSyntaxError);
      expect((e as HclSyntaxError).line).toBe(line);
      expect((e as HclSyntaxError).detail).toMatch(text);
      return;
    }
    throw new Error('parsed');
  };

  it('lists, parentheses, unary operators, interpolations, conditionals, blocks and traversals', () => {
    const n = 20_000;
    const deep = new RegExp(`nest more than ${MAX_NESTING} levels deep`);
    expectSyntax(`a = 1\nb = ${'['.repeat(n)}${']'.repeat(n)}\n`, 2, deep);
    expectSyntax(`b = ${'('.repeat(n)}1${')'.repeat(n)}\n`, 1, deep);
    expectSyntax(`b = ${'-'.repeat(n)}1\n`, 1, deep);
    expectSyntax(`b = ${'!'.repeat(n)}true\n`, 1, deep);
    expectSyntax(`\n\nb = "${'${"'.repeat(n)}x${'"}'.repeat(n)}"\n`, 3, deep);
    expectSyntax(`b = ${'true ? 1 : '.repeat(n)}2\n`, 1, deep);
    expectSyntax(`b = f(${'g('.repeat(n)}1${')'.repeat(n)})\n`, 1, deep);
    expectSyntax(`${'x {\n'.repeat(n)}${'}\n'.repeat(n)}`, MAX_NESTING, deep);
    expectSyntax(`b = a${'.b'.repeat(n)}\n`, 1, /traversal of more than/);
    expectSyntax(`b = a${'[0]'.repeat(n)}\n`, 1, /traversal of more than/);
    expect(attr(`b = ${'['.repeat(MAX_NESTING - 2)}1${']'.repeat(MAX_NESTING - 2)}\n`, 'b')).toBeDefined();
  });

  it('locals that refer to each other in a loop are named as a chain; locals that multiply stop', () => {
    const loop = parseHcl('locals {\n  a = local.b\n  b = [local.a]\n}\n').blocks[0]!.body;
    const s: Scope = { vars: new Map(), locals: new Map([...loop.attributes].map(([k, a]) => [k, a.expr])) };
    expect(() => evaluate(loop.attributes.get('a')!.expr, s)).toThrow(/locals refer to each other in a loop: local\.b -> local\.a -> local\.b/);
    let src = 'locals {\n';
    for (let i = 0; i < 40; i++) src += `  l${i} = concat(local.l${i + 1}, local.l${i + 1})\n`;
    src += '  l40 = [1]\n}\n';
    const body = parseHcl(src).blocks[0]!.body;
    const m: Scope = { vars: new Map(), locals: new Map([...body.attributes].map(([k, a]) => [k, a.expr])) };
    const t0 = performance.now();
    expect(() => evaluate(body.attributes.get('l0')!.expr, m)).toThrow(HclEvalError);
    expect(performance.now() - t0).toBeLessThan(5000);
    let tpl = 'locals {\n';
    for (let i = 0; i < 40; i++) tpl += `  s${i} = "\${local.s${i + 1}}\${local.s${i + 1}}"\n`;
    tpl += '  s40 = "ab"\n}\n';
    const tb = parseHcl(tpl).blocks[0]!.body;
    const ts: Scope = { vars: new Map(), locals: new Map([...tb.attributes].map(([k, a]) => [k, a.expr])) };
    expect(() => evaluate(tb.attributes.get('s0')!.expr, ts)).toThrow(/string template builds more than/);
  });

  it('bad \\U escapes and functions on the wrong kind of value are errors, not crashes', () => {
    expectSyntax('a = "\\UFFFFFFFF"\n', 1, /not a Unicode code point/);
    expect(() => attr('a = length(null)\n', 'a')).toThrow(HclEvalError);
    expect(() => attr('a = merge(1, 2)\n', 'a')).toThrow(HclEvalError);
  });
});
