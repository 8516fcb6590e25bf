/** The worker pool (piscina): N threads running worker.ts, set up once with the pass's PassSetup; one per pass. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { InternalError } from '../errors.js';
import { applyPoolTuning } from '../tuning.js';
import type { ChunkTask, PassSetup } from './messages.js';

/** The compiled worker next to this module; when running from TypeScript sources (tests), the built one in dist/. */
export function workerFile(): string {
  return builtModule(import.meta.url, 'pool', 'worker');
}

/**
 * The compiled module `name` (a path relative to the module at `url`, whose own base name is `self`): the .js beside
 * it when running compiled, the one in dist/ when running from TypeScript sources (tests).
 */
export function builtModule(url: string, self: string, name: string): string {
  const here = fileURLToPath(url);
  const js = here.replace(new RegExp(`${self}\\.(ts|js)$`), `${name}.js`);
  if (here.endsWith('.js') && existsSync(js)) return js;
  const at = js.lastIndexOf('/src/');
  const built = `${js.slice(0, at)}/dist${js.slice(at)}`;
  if (!existsSync(built)) throw new InternalError(`worker not built: ${built} is missing (run npm run build)`);
  return built;
}

export class WorkerPool {
  private readonly pool: Piscina<ChunkTask, Uint8Array>;

  constructor(
    readonly threads: number,
    setup: PassSetup,
  ) {
    applyPoolTuning();
    this.pool = new Piscina({ filename: workerFile(), minThreads: threads, maxThreads: threads, idleTimeout: 1000, workerData: setup });
  }

  run(task: ChunkTask): Promise<Uint8Array> {
    const transferList: ArrayBuffer[] = [];
    if (task.bytes) transferList.push(task.bytes.buffer as ArrayBuffer);
    if (task.warm?.kind === 'records' && task.warm.bytes) transferList.push(task.warm.bytes.buffer as ArrayBuffer);
    if (task.aheadBytes) transferList.push(task.aheadBytes.buffer as ArrayBuffer);
    return this.pool.run(task, transferList.length ? { transferList } : {});
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
