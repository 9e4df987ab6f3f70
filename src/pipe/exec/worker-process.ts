/**
 * One worker process of the graph executor, seen from the executor: forked from worker.ts, set up once, then given
 * one job at a time. While a job runs the executor watches the process: its resident memory (from
 * /proc/<pid>/statm, because Buffers live outside the V8 heap and `--max-old-space-size` never sees them) against
 * the per-quantum limit, and the job's wall time against the timeout. Either limit, an exit, or a crash ends the job
 * as `died` with a message, and the process is killed; the executor starts another.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { meridianError } from '../../errors.js';
import { existingModuleUrl, needsTypeScript, typeScriptWorkerArgv } from '../../pool/index.js';
import type { WorkerJob, WorkerMessage, WorkerSetup } from './protocol.js';
import type { QuantumOutcome } from './single-quantum.js';

export type JobResult =
  | { readonly kind: 'outcome'; readonly outcome: QuantumOutcome }
  | { readonly kind: 'died'; readonly code: string; readonly message: string };

export interface JobLimits {
  readonly timeoutSeconds: number | null;
  readonly memoryBytes: number | null;
}

const WORKER_URL = existingModuleUrl(new URL('./worker.js', import.meta.url));
const PAGE_SIZE = 4096;
const MEMORY_POLL_MS = 25;
/** Kept from a worker's stdout/stderr, to explain a crash. */
const OUTPUT_TAIL_BYTES = 2048;

export class WorkerProcess {
  readonly #child: ChildProcess;
  #tail = '';
  #exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  #onMessage: ((m: WorkerMessage) => void) | null = null;
  #onExit: (() => void) | null = null;

  private constructor(child: ChildProcess) {
    this.#child = child;
    const keep = (chunk: Buffer) => {
      this.#tail = (this.#tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('message', (m: WorkerMessage) => this.#onMessage?.(m));
    child.on('exit', (code, signal) => {
      this.#exited = { code, signal };
      this.#onExit?.();
    });
    // A send to a process that just died fails asynchronously; the exit handler reports it.
    child.on('error', () => {});
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Forks a worker and sends it the run's setup; resolves once it has loaded the task modules. */
  static async start(setup: WorkerSetup): Promise<WorkerProcess> {
    const child = fork(fileURLToPath(WORKER_URL), [], {
      execArgv: needsTypeScript(WORKER_URL) ? [...typeScriptWorkerArgv()] : [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const worker = new WorkerProcess(child);
    await new Promise<void>((resolve, reject) => {
      worker.#onMessage = (m) => {
        worker.#onMessage = null;
        worker.#onExit = null;
        if (m.type === 'ready') resolve();
        else if (m.type === 'setup-failed') {
          worker.kill();
          reject(meridianError((m.code as 'TASK_NOT_FOUND') ?? 'INTERNAL', m.message));
        }
      };
      worker.#onExit = () => {
        reject(
          meridianError('WORKER_CRASHED', `a pipeline worker process ended while starting: ${worker.#why()}`),
        );
      };
      child.send(setup);
    });
    return worker;
  }

  /** Runs one job; never rejects. */
  run(job: WorkerJob, limits: JobLimits): Promise<JobResult> {
    return new Promise<JobResult>((resolve) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      let poller: NodeJS.Timeout | undefined;
      let killedFor: { code: string; message: string } | null = null;
      const finish = (result: JobResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearInterval(poller);
        this.#onMessage = null;
        this.#onExit = null;
        resolve(result);
      };
      this.#onMessage = (m) => {
        if (m.type === 'outcome') finish({ kind: 'outcome', outcome: m.outcome });
      };
      this.#onExit = () => {
        finish({ kind: 'died', ...(killedFor ?? { code: 'WORKER_CRASHED', message: this.#why() }) });
      };
      const killFor = (code: string, message: string) => {
        if (killedFor !== null) return;
        killedFor = { code, message };
        this.kill();
      };
      if (limits.timeoutSeconds !== null) {
        timer = setTimeout(
          () =>
            killFor(
              'QUANTUM_FAILED',
              `timed out after ${limits.timeoutSeconds} s (--timeout); the process was killed`,
            ),
          limits.timeoutSeconds * 1000,
        );
      }
      const limit = limits.memoryBytes;
      if (limit !== null && this.#child.pid !== undefined) {
        const statm = `/proc/${this.#child.pid}/statm`;
        poller = setInterval(() => {
          readFile(statm, 'utf8')
            .then((text) => {
              const rss = Number(text.split(' ')[1]) * PAGE_SIZE;
              if (rss > limit) {
                killFor(
                  'QUANTUM_FAILED',
                  `exceeded its memory limit: resident size ${formatBytes(rss)} > ${formatBytes(limit)} (--memory-per-quantum); the process was killed`,
                );
              }
            })
            // No /proc (not Linux) or the process is gone: nothing to watch.
            .catch(() => clearInterval(poller));
        }, MEMORY_POLL_MS);
      }
      if (this.#exited !== null) {
        this.#onExit();
        return;
      }
      this.#child.send(job);
    });
  }

  /** Asks the running task to stop (its QuantumContext.signal fires). */
  abort(): void {
    if (this.#exited === null && this.#child.connected) this.#child.send({ type: 'abort' });
  }

  kill(): void {
    if (this.#exited === null) this.#child.kill('SIGKILL');
  }

  /** Ends an idle worker: closing the IPC channel makes it exit. */
  async close(): Promise<void> {
    if (this.#exited !== null) return;
    const exited = new Promise<void>((resolve) => {
      this.#child.once('exit', () => resolve());
    });
    if (this.#child.connected) this.#child.disconnect();
    const timer = setTimeout(() => this.kill(), 2000);
    await exited;
    clearTimeout(timer);
  }

  #why(): string {
    const e = this.#exited;
    const how =
      e === null
        ? 'it stopped answering'
        : e.signal !== null
          ? `it was killed by ${e.signal}`
          : `it exited with status ${e.code}`;
    const tail = this.#tail.trim().split('\n').slice(-3).join(' | ');
    return tail.length > 0 ? `${how} (last output: ${tail})` : how;
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
