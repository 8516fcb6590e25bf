/**
 * Command lines for shards. A plan keeps the command's answer options as typed (everything that changes the
 * answer); output options (format, report files, --fail-on, threads) belong to whoever prints, so the merge takes
 * them. The answer options are parsed and checked by the command's own definition, never by a copy of it.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { PLAN_COMMANDS, type PlanCommand } from '../shard/commands.js';
import type { ReplaySpec } from '../verdict/spec.js';
import type { ReplayOpts } from './candidates.js';
import { intInRange } from './options.js';

/** Options that change how the answer is printed or computed here, not what it is; each takes one value. */
export const OUTPUT_OPTIONS = new Set(['-F', '--format', '--html', '--fail-on', '-j', '--jobs', '--chunk-size']);
/** Options of the queue run, on the command line of replay, flows and diagnose; each takes one value. */
export const QUEUE_OPTIONS = new Set(['--queue', '--shards', '--shard-bytes', '--partials-dir']);

/** Split `args` into the answer's part and the options in `take` (with their values, `--x=v` and `-Fv` too). */
export function splitOptions(args: readonly string[], take: ReadonlySet<string>): { rest: string[]; taken: string[] } {
  const rest: string[] = [];
  const taken: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      rest.push(...args.slice(i));
      break;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a.startsWith('-') && !a.startsWith('--') && a.length > 2 ? a.slice(0, 2) : a;
    if (!take.has(name)) {
      rest.push(a);
      continue;
    }
    taken.push(a);
    const inline = eq > 0 || (name.length === 2 && a.length > 2);
    if (!inline) {
      if (i + 1 >= args.length) throw new UsageError(`${a} needs a value`);
      taken.push(args[++i]!);
    }
  }
  return { rest, taken };
}

/** The parsed operands and options of `command` with `args`, by the command's own definition (nothing runs). */
export async function parseCommandLine(buildProgram: () => Command, command: PlanCommand, args: readonly string[]): Promise<{ traffic: string[]; opts: Record<string, unknown> }> {
  const program = buildProgram();
  const cmd = program.commands.find((c) => c.name() === command);
  if (!cmd) throw new UsageError(`no command ${command}`);
  let got: { traffic: string[]; opts: Record<string, unknown> } | null = null;
  cmd.action((traffic: string[], opts: Record<string, unknown>) => {
    got = { traffic, opts };
  });
  await program.parseAsync(['node', 'aclreplay', command, ...args]);
  if (!got) throw new UsageError(`${command}: nothing parsed`);
  return got;
}

export function planCommand(v: string): PlanCommand {
  if (!(PLAN_COMMANDS as readonly string[]).includes(v)) throw new UsageError(`--command: '${v}' is not a command a plan can be made for (${PLAN_COMMANDS.join(', ')})`);
  return v as PlanCommand;
}

/** `--shards <n>`. */
export const shardCount = intInRange('--shards', 1, 65536);

/** `--shard-bytes <size>`: bytes, or with a unit: 64MiB, 1GiB (binary: K, M, G, T with or without iB). */
export function shardBytes(v: string): number {
  const m = /^\s*(\d+)\s*([kmgt]?)(i?b)?\s*$/i.exec(v);
  const unit = m ? ({ '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 } as Record<string, number>)[m[2]!.toLowerCase()]! : NaN;
  const n = m ? Number(m[1]) * unit : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--shard-bytes expects a size such as 268435456, 256MiB or 1GiB, got '${v.length > 40 ? `${v.slice(0, 40)}...` : v}'`);
  return n;
}

/** The candidates the command judges with these options, compiled (null when it judges none). */
export async function candidateSpec(command: PlanCommand, opts: Record<string, unknown>): Promise<{ spec: ReplaySpec; acls: string[] } | null> {
  const o = opts as unknown as ReplayOpts;
  const judges = command === 'replay' || (command === 'diagnose' && ((o.acl?.length ?? 0) > 0 || o.topology !== undefined));
  if (!judges) return null;
  const [{ buildPlan }, { compilePlan }, { planInput }] = await Promise.all([import('../verdict/plan.js'), import('../verdict/spec.js'), import('./candidates.js')]);
  const plan = buildPlan(planInput(o));
  return { spec: compilePlan(plan), acls: plan.acls.map((a) => a.id) };
}
