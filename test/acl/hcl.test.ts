import { describe, expect, it } from 'vitest';
import { evaluate, HclEvalError, HclSyntaxError, parseHcl, type Scope } from '../../src/acl/formats/hcl.js';

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
