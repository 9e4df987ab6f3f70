import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  loadPipeline,
  parseConfigOverride,
  registerTestingTasks,
  TaskRegistry,
  taskGraphText,
} from '../../../src/pipe/index.js';
import { ensureBuilt, spawnPipetask } from '../../cli/helpers.js';

// The examples of docs/pipelines.md, section "Pipeline definitions".
const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const doc = readFileSync(resolve(root, 'docs/pipelines.md'), 'utf8');
const start = doc.indexOf('## Pipeline definitions');
const next = doc.indexOf('\n## ', start + 1);
const section = doc.slice(start, next < 0 ? undefined : next);

function fenced(lang: string): string[] {
  return [...section.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]!);
}

/** Split a command line as a POSIX shell does for the simple quoting the examples use. */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

describe('docs/pipelines.md: Pipeline definitions', () => {
  beforeAll(async () => {
    await ensureBuilt();
  });

  it('shows add-chain.yaml exactly as it is in pipelines/testing/', () => {
    const [yaml] = fenced('yaml');
    expect(yaml).toBe(readFileSync(resolve(root, 'pipelines/testing/add-chain.yaml'), 'utf8'));
  });

  it('every pipetask command runs and prints something', async () => {
    const lines = fenced('sh')
      .join('\n')
      .split('\n')
      .filter((l) => l.startsWith('pipetask '));
    expect(lines.length).toBeGreaterThanOrEqual(7);
    for (const line of lines) {
      const r = await spawnPipetask(shellWords(line).slice(1));
      expect({ line, code: r.code, stderr: r.stderr }).toEqual({ line, code: 0, stderr: '' });
      expect(r.stdout.length).toBeGreaterThan(0);
    }
  });

  it('the library example gives what the text says', async () => {
    const registry = new TaskRegistry();
    registerTestingTasks(registry);
    const pipeline = await loadPipeline(resolve(root, 'pipelines/testing/add-chain.yaml#step1'), {
      registry,
      overrides: [parseConfigOverride('addTwo:addend=5')],
    });
    const resolved = pipeline.resolve();
    expect(pipeline.labels).toEqual(['addOne', 'addTwo']);
    expect(pipeline.steps).toMatchObject([{ label: 'step1', dimensions: ['instrument', 'detector'] }]);
    expect(resolved.tasks[1]!.config.addend).toBe(5);
    expect(taskGraphText(resolved)).toContain('addTwo  meridian.pipe.testing.AddTask');
    expect(pipeline.toYaml()).toContain('addend: 5');
  });
});
