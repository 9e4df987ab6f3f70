import { readFile, writeFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { meridianError } from '../../errors.js';
import type { Formatter, ReadOptions } from './formatter.js';
import type { StorageClass } from './storage-class.js';
import { assertPlainData, checkStoredValue, selectStructured } from './structured-data.js';

/** Plain data as YAML 1.2 (used for configuration trees, which people read and edit). */
export class YamlFormatter implements Formatter {
  readonly name = 'meridian.YamlFormatter';
  readonly extension = '.yaml';
  readonly readableComponents = 'all' as const;

  async write(obj: unknown, path: string, storageClass: StorageClass): Promise<void> {
    assertPlainData(obj, { allowNonFinite: true, label: `YAML (storage class ${storageClass.name})` });
    // aliasDuplicateObjects off: a shared sub-object is written twice instead of as an anchor, so the file reads
    // the same in any YAML reader.
    await writeFile(path, stringify(obj, { aliasDuplicateObjects: false }), { flag: 'wx' });
  }

  async read(path: string, options: ReadOptions): Promise<unknown> {
    const text = await readFile(path, 'utf8');
    let value: unknown;
    try {
      value = parse(text);
    } catch (err) {
      throw meridianError(
        'DATASET_FILE_UNREADABLE',
        `${path} is not valid YAML: ${(err as Error).message}`,
        { path },
        err,
      );
    }
    return selectStructured(checkStoredValue(value, path, options.storageClass), options);
  }
}
