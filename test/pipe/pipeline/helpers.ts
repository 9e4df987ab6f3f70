import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerTestingTasks, TaskRegistry } from '../../../src/pipe/index.js';

/** The example pipelines under pipelines/testing/. */
export const examples = resolve(fileURLToPath(new URL('../../../pipelines/testing', import.meta.url)));

export function testingRegistry(): TaskRegistry {
  const registry = new TaskRegistry();
  registerTestingTasks(registry);
  return registry;
}

export const ADD = 'meridian.pipe.testing.AddTask';
export const CALIBRATE = 'meridian.pipe.testing.CalibrateTask';

/** A temporary directory of pipeline files written from `files` (name -> text). */
export function pipelineDir(files: Record<string, string>): {
  dir: string;
  path(name: string): string;
  cleanup(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-pipeyaml-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return {
    dir,
    path: (name) => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The thrown error's code and message, for `expect(...).toMatchObject`. */
export function caught(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected an error');
}

export async function caughtAsync(fn: () => Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await fn();
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected an error');
}
