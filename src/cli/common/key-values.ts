import { meridianError } from '../../errors.js';

/**
 * Parsing of `k=v` command-line values: data IDs (`--data-id instrument=Cam1,detector=1`) and bind parameters
 * (`--bind visit=5`).
 */

/** Split `a=1,b=x` into pairs. Values are kept as text; `what` names the option in error messages. */
export function parseKeyValueList(text: string, what = 'value'): [string, string][] {
  const pairs: [string, string][] = [];
  for (const item of text.split(',')) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    const key = eq < 0 ? '' : trimmed.slice(0, eq).trim();
    const value = eq < 0 ? '' : trimmed.slice(eq + 1).trim();
    if (key === '' || value === '') {
      throw meridianError('INVALID_ARGUMENT', `${what}: expected key=value, got '${trimmed}'`, {
        value: trimmed,
      });
    }
    pairs.push([key, value]);
  }
  return pairs;
}

/**
 * A data ID from `instrument=Cam1,detector=1`. Values stay strings: the registry converts them to each
 * dimension's key type, so a string-keyed dimension whose value looks numeric is not mangled here.
 */
export function parseDataId(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of parseKeyValueList(text, 'data ID')) {
    if (k in out && out[k] !== v) {
      throw meridianError('INVALID_ARGUMENT', `data ID gives '${k}' twice (${out[k]} and ${v})`, { key: k });
    }
    out[k] = v;
  }
  return out;
}

/** Merge several `--data-id` occurrences into one data ID. */
export function parseDataIds(texts: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of texts ?? []) {
    for (const [k, v] of Object.entries(parseDataId(t))) {
      if (k in out && out[k] !== v) {
        throw meridianError('INVALID_ARGUMENT', `data ID gives '${k}' twice (${out[k]} and ${v})`, {
          key: k,
        });
      }
      out[k] = v;
    }
  }
  return out;
}

/** A bind value: integers become numbers (dimension keys are mostly integers), everything else stays text. */
export function parseBindValue(text: string): number | string {
  return /^-?\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : text;
}

/** Bind parameters from repeated `--bind k=v` options. A value may itself contain '=' or ','. */
export function parseBind(texts: readonly string[] | undefined): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const t of texts ?? []) {
    const eq = t.indexOf('=');
    const key = eq < 0 ? '' : t.slice(0, eq).trim();
    if (key === '' || eq === t.length - 1) {
      throw meridianError('INVALID_ARGUMENT', `--bind: expected name=value, got '${t}'`, { value: t });
    }
    out[key.replace(/^:/, '')] = parseBindValue(t.slice(eq + 1).trim());
  }
  return out;
}
