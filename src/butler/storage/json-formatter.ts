import { readFile, writeFile } from 'node:fs/promises';
import { meridianError } from '../../errors.js';
import type { Formatter, ReadOptions } from './formatter.js';
import type { StorageClass } from './storage-class.js';
import { assertPlainData, checkStoredValue, selectStructured } from './structured-data.js';

/** Plain data as JSON; components are top-level keys, read by parsing the whole file. */
export class JsonFormatter implements Formatter {
  readonly name = 'meridian.JsonFormatter';
  readonly extension = '.json';
  readonly readableComponents = 'all' as const;

  async write(obj: unknown, path: string, storageClass: StorageClass): Promise<void> {
    assertPlainData(obj, { allowNonFinite: false, label: `JSON (storage class ${storageClass.name})` });
    // 'wx': the datastore hands us a fresh temporary path; never overwrite anything.
    await writeFile(path, JSON.stringify(obj) + '\n', { flag: 'wx' });
  }

  async read(path: string, options: ReadOptions): Promise<unknown> {
    const text = await readFile(path, 'utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw meridianError(
        'DATASET_FILE_UNREADABLE',
        `${path} is not valid JSON: ${(err as Error).message}`,
        { path },
        err,
      );
    }
    return selectStructured(checkStoredValue(value, path, options.storageClass), options);
  }
}
