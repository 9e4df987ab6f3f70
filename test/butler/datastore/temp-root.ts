import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatastoreConfig } from '../../../src/butler/datastore/index.js';
import { FileDatastore } from '../../../src/butler/datastore/index.js';
import { FormatterRegistry, StorageClassRegistry } from '../../../src/butler/storage/index.js';

/** A scratch directory with a datastore root inside it and room for files outside the root. */
export interface Scratch {
  readonly dir: string;
  readonly root: string;
  readonly outside: string;
  datastore(config?: Partial<DatastoreConfig>, formatters?: FormatterRegistry): FileDatastore;
  cleanup(): Promise<void>;
}

export async function makeScratch(): Promise<Scratch> {
  const dir = await mkdtemp(join(tmpdir(), 'meridian-datastore-'));
  const root = join(dir, 'repo');
  return {
    dir,
    root,
    outside: join(dir, 'outside'),
    datastore: (config = {}, formatters = FormatterRegistry.withDefaults()) =>
      new FileDatastore({ root, ...config }, StorageClassRegistry.withDefaults(), formatters),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of iterable) out.push(item);
  return out.sort();
}
