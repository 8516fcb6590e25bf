/**
 * The layout's rules, read from the source itself (issue 10's "done when"): no import cycles; reporters render only
 * (nothing from the classifier, compiler, linear reference, decoder, evaluator or probe); and packets are written into
 * a PacketBatch by the decoder, the pass and one module besides, the probe module. The last is found with the
 * TypeScript checker: every assignment to an element of a PacketBatch column, whatever the variable is called.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, resolve, relative } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Relative imports of a file (static, re-exports, dynamic; type-only ones too), resolved to .ts paths. */
function importsOf(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  const add = (spec: string): void => {
    if (spec.startsWith('.')) out.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
  };
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) add(n.moduleSpecifier.text);
    else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) add(n.arguments[0].text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Strongly connected components of more than one module (Tarjan), as paths relative to src/. */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(relative(SRC, w));
      } while (w !== v);
      if (c.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(c);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return found;
}

describe('layout', () => {
  const files = sourceFiles(SRC);
  const graph = new Map(files.map((f) => [f, importsOf(f)]));

  it('finds the modules and their imports (the checks below read something)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(graph.get(join(SRC, 'report', 'flows.ts'))!.length).toBeGreaterThan(2);
  });

  it('has no import cycles', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('the cycle check finds a cycle when there is one', () => {
    const a = join(SRC, 'a.ts');
    const b = join(SRC, 'b.ts');
    expect(cycles(new Map([[a, [b]], [b, [a]]]))).toEqual([['b.ts', 'a.ts']]);
  });

  it('reporters import nothing from the classifier, compiler, linear reference, decoder, evaluator or probe', () => {
    const forbidden = [/^acl\/(classify|compile|linear)\.ts$/, /^decode\//, /^verdict\/(evaluator|probe)\.ts$/];
    const bad: string[] = [];
    for (const [f, deps] of graph) {
      if (!relative(SRC, f).startsWith('report/')) continue;
      for (const d of deps) if (forbidden.some((re) => re.test(relative(SRC, d)))) bad.push(`${relative(SRC, f)} -> ${relative(SRC, d)}`);
    }
    expect(bad).toEqual([]);
  });

  it('the flows and replay reporters do not import each other', () => {
    const flows = join(SRC, 'report', 'flows.ts');
    const replay = join(SRC, 'report', 'replay.ts');
    expect(graph.get(flows)).not.toContain(replay);
    expect(graph.get(replay)).not.toContain(flows);
  });

  it('outside the decoder and the pass, only the probe module writes packets into a PacketBatch', () => {
    const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
    const program = ts.createProgram({ rootNames: config.fileNames.filter((f) => f.startsWith(SRC)), options: config.options });
    const checker = program.getTypeChecker();
    // Columns the flow table annotates a batch with (which connection a packet joined) are not the packet.
    const annotations = new Set(['flowIndex', 'flowDir', 'fragHead', 'length']);
    const writers = new Map<string, number>();
    const assigns = new Set([ts.SyntaxKind.EqualsToken, ts.SyntaxKind.PlusEqualsToken, ts.SyntaxKind.MinusEqualsToken, ts.SyntaxKind.BarEqualsToken, ts.SyntaxKind.AmpersandEqualsToken]);
    const isBatch = (e: ts.Expression): boolean => checker.getTypeAtLocation(e).getSymbol()?.getName() === 'PacketBatch';
    for (const sf of program.getSourceFiles()) {
      if (!sf.fileName.startsWith(SRC)) continue;
      const rel = relative(SRC, sf.fileName);
      const visit = (n: ts.Node): void => {
        if (ts.isBinaryExpression(n) && assigns.has(n.operatorToken.kind)) {
          let target: ts.Expression = n.left;
          if (ts.isElementAccessExpression(target)) target = target.expression;
          if (ts.isPropertyAccessExpression(target) && !annotations.has(target.name.text) && isBatch(target.expression)) writers.set(rel, (writers.get(rel) ?? 0) + 1);
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    // The decoder writes most (the check finds it, so it can find others).
    expect(writers.get('decode/parser.ts') ?? 0).toBeGreaterThan(20);
    const outside = [...writers.keys()].filter((f) => !f.startsWith('decode/') && !f.startsWith('pass/')).sort();
    expect(outside).toEqual(['verdict/probe.ts']);
  });
});
