/**
 * The entry point of a graph executor's worker process (started with child_process.fork). It rebuilds the task
 * registry from the same task modules the operator named, opens the repository's datastore (never its registry),
 * and runs the jobs it is sent one at a time. A task that throws is an outcome; a task that exits the process or
 * blows its memory ends this process, and the executor records the failure and starts a new worker. When the
 * executor goes away (its IPC channel closes) the worker exits at once rather than finish work nobody will record.
 */
import { DimensionUniverse, openFileDatastore } from '../../butler/index.js';
import { initQuantumFromJSON, quantumFromJSON } from '../quantum-json.js';
import { loadTaskRegistry } from '../task.js';
import type { ParentMessage, WorkerMessage } from './protocol.js';
import { ReceiptStore } from './receipts.js';
import { describeError, QuantumExecutor } from './single-quantum.js';

function send(message: WorkerMessage): void {
  process.send?.(message);
}

let executor: QuantumExecutor | undefined;
let universe: DimensionUniverse | undefined;
let current: AbortController | undefined;

async function handle(message: ParentMessage): Promise<void> {
  switch (message.type) {
    case 'setup': {
      try {
        universe = new DimensionUniverse(
          message.universe as ConstructorParameters<typeof DimensionUniverse>[0],
        );
        const tasks = await loadTaskRegistry(message.taskModules);
        executor = new QuantumExecutor({
          datastore: openFileDatastore(message.repo),
          receipts: new ReceiptStore(message.repo, message.run),
          pipeline: message.pipeline,
          tasks,
          initQuanta: message.initQuanta.map((q) => initQuantumFromJSON(q, universe!)),
          options: message.options,
        });
        send({ type: 'ready' });
      } catch (err) {
        send({ type: 'setup-failed', ...describeError(err) });
      }
      return;
    }
    case 'abort':
      current?.abort();
      return;
    case 'init':
    case 'quantum': {
      const ex = executor!;
      if (message.type === 'init') {
        send({ type: 'outcome', outcome: await ex.executeInit(message.label, message.records) });
        return;
      }
      current = new AbortController();
      let outcome: Awaited<ReturnType<QuantumExecutor['executeQuantum']>>;
      try {
        const quantum = quantumFromJSON(message.quantum, universe!);
        outcome = await ex.executeQuantum(quantum, message.records, current.signal);
      } catch (err) {
        outcome = {
          quantumId: message.quantum.id,
          label: message.quantum.label,
          status: 'failed',
          outputs: [],
          ...describeError(err),
        };
      }
      current = undefined;
      send({ type: 'outcome', outcome });
      return;
    }
  }
}

// Jobs arrive one at a time, but an 'abort' may arrive while one runs: chain jobs, handle aborts at once.
let queue: Promise<void> = Promise.resolve();
process.on('message', (message: ParentMessage) => {
  if (message.type === 'abort') {
    void handle(message);
    return;
  }
  queue = queue.then(() => handle(message));
});
process.on('disconnect', () => process.exit(0));
