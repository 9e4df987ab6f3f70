import { meridianError } from '../../errors.js';
import type { ReadOptions } from './formatter.js';
import type { StorageClass } from './storage-class.js';

/**
 * The `slice` read parameter: a Python-style slice of a list (daf_butler's MetricsExample takes a Python `slice`).
 * `stop` is exclusive; negative `start`/`stop` count from the end; `step` is a positive integer (default 1).
 */
export interface SliceParameter {
  start?: number;
  stop?: number;
  step?: number;
}

/**
 * Applies a component selection and read parameters to a structured value that was read whole from a file.
 * Components of a structured composite are its top-level keys; `slice` selects part of the `data` list, whether
 * `data` is read alone or as part of the whole object.
 */
export function selectStructured(value: unknown, options: ReadOptions): unknown {
  const sc = options.storageClass;
  const parameters = options.parameters ?? {};
  for (const key of Object.keys(parameters)) {
    if (!sc.parameters.includes(key)) {
      throw meridianError(
        'INVALID_ARGUMENT',
        `Storage class ${sc.name} does not accept read parameter '${key}'` +
          (sc.parameters.length > 0 ? ` (accepted: ${sc.parameters.join(', ')})` : ' (it accepts none)'),
        { storageClass: sc.name, parameter: key, accepted: [...sc.parameters] },
      );
    }
  }
  const slice = parameters.slice === undefined ? null : parseSlice(parameters.slice);
  const component = options.component ?? null;

  if (component === null) {
    if (slice === null || !isPlainObject(value) || !Array.isArray(value.data)) return value;
    return { ...value, data: applySlice(value.data, slice) };
  }
  sc.componentStorageClass(component);
  // A component missing from the stored object reads as null, as an unset attribute of MetricsExample does.
  const part = isPlainObject(value) && Object.hasOwn(value, component) ? value[component] : null;
  if (component === 'data' && slice !== null && Array.isArray(part)) return applySlice(part, slice);
  return part;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseSlice(raw: unknown): Required<SliceParameter> {
  const invalid = (why: string) =>
    meridianError('INVALID_ARGUMENT', `Invalid slice parameter: ${why}`, {
      slice: raw as Record<string, unknown>,
    });
  if (!isPlainObject(raw)) throw invalid('expected an object {start?, stop?, step?}');
  for (const key of Object.keys(raw)) {
    if (!['start', 'stop', 'step'].includes(key)) throw invalid(`unknown key '${key}'`);
    if (raw[key] !== undefined && raw[key] !== null && !Number.isInteger(raw[key])) {
      throw invalid(`'${key}' must be an integer`);
    }
  }
  const step = (raw.step as number | undefined | null) ?? 1;
  if (step < 1) throw invalid('step must be a positive integer');
  return {
    start: (raw.start as number | undefined | null) ?? 0,
    stop: (raw.stop as number | undefined | null) ?? Number.POSITIVE_INFINITY,
    step,
  };
}

function applySlice<T>(list: readonly T[], slice: Required<SliceParameter>): T[] {
  const clamp = (i: number) => Math.min(list.length, Math.max(0, i < 0 ? list.length + i : i));
  const start = clamp(slice.start);
  const stop = clamp(slice.stop);
  const out: T[] = [];
  for (let i = start; i < stop; i += slice.step) out.push(list[i]);
  return out;
}

/**
 * Throws INVALID_ARGUMENT unless `value` is plain data that survives a write/read round trip: null, booleans,
 * strings, numbers, arrays and plain objects. JSON would silently turn NaN into null and drop `undefined`, so
 * those are refused instead of being changed; YAML can carry non-finite numbers (`.nan`, `.inf`).
 */
export function assertPlainData(value: unknown, format: { allowNonFinite: boolean; label: string }): void {
  const fail = (path: string, what: string) => {
    throw meridianError('INVALID_ARGUMENT', `Cannot write ${what} at ${path} as ${format.label}`, {
      path,
      format: format.label,
    });
  };
  const visit = (v: unknown, path: string): void => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v) && !format.allowNonFinite) fail(path, `the non-finite number ${v}`);
      return;
    }
    if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) visit(item, `${path}[${i}]`);
      return;
    }
    if (typeof v === 'object') {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null)
        fail(path, `an object of class ${v.constructor?.name}`);
      for (const [key, item] of Object.entries(v)) visit(item, `${path}.${key}`);
      return;
    }
    fail(path, `a value of type ${typeof v}`);
  };
  visit(value, '$');
}

/** A file whose content has the wrong shape for its storage class is reported as unreadable, not returned. */
export function checkStoredValue(value: unknown, path: string, storageClass: StorageClass): unknown {
  try {
    storageClass.checkValue(value);
  } catch (err) {
    throw meridianError(
      'DATASET_FILE_UNREADABLE',
      `${path} does not hold a ${storageClass.name}: ${(err as Error).message}`,
      { path, storageClass: storageClass.name },
      err,
    );
  }
  return value;
}
