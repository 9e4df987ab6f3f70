/**
 * Test-only tasks that break the quantum contract: read or write a dataset outside the quantum, (both are refused). Loaded by worker processes like any task module.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Input, Output } from '../../../../src/pipe/connections.js';
import { defineTask, type TaskRegistry } from '../../../../src/pipe/task.js';

export const UndeclaredTask = defineTask({
  name: 'test.exec.UndeclaredTask',
  config: z.object({ action: z.enum(['get', 'put']).default('get') }),
  dimensions: ['instrument', 'detector'],
  connections: {
    input: Input({
      name: 'add_input',
      storageClass: 'StructuredDataDict',
      dimensions: ['instrument', 'detector'],
    }),
    output: Output({
      name: 'bad_output',
      storageClass: 'StructuredDataDict',
      dimensions: ['instrument', 'detector'],
    }),
  },
  async runQuantum(ctx) {
    const input = ctx.inputRefs.input![0]!;
    const output = ctx.outputRefs.output![0]!;
    if (ctx.config.action === 'get') await ctx.get({ ...input, id: randomUUID() });
    if (ctx.config.action === 'put') await ctx.put({ value: 1 }, { ...output, id: randomUUID() });
  },
});

export function registerTasks(registry: TaskRegistry): void {
  registry.register(UndeclaredTask);
}
