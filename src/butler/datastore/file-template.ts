import { meridianError } from '../../errors.js';
import type { DatastoreRef } from './types.js';

/**
 * File path templates, following daf_butler's `FileTemplate` (reference/butler.md §1.8):
 * - `{name}` fields: `run`, `id`, `datasetType`, `component`, a dimension (`visit`), or a record field
 *   (`exposure.obs_id`, looked up in `ref.recordValues`);
 * - `{a|b}` takes the first alternative with a value;
 * - a format spec after `:` may contain `?` (optional: when absent, the field is dropped with the literal text
 *   before it back to the previous `/`), `/` (keep slashes in the value as directory separators) and a width such
 *   as `05d` (zero-padded integer);
 * - values are escaped, not replaced, so that two different values never give one path (`u/me/t12:00` and
 *   `u/me/t12_00` must not collide): `%`, characters awkward in file names (space < > : " \ | ? * and controls),
 *   `/` (unless kept) and dots in the file name part (so the extension stays unambiguous) become `%XX` (UTF-8,
 *   upper-case hex). A value of other characters is written as it is, as before this escaping existed;
 * - a repeat of a field that the template also writes with `:/` (the default template's trailing `{run}` after its
 *   leading `{run:/}`) only decorates the file name, the kept-slash occurrence already telling values apart: there
 *   `/` becomes `_` and dots stay dots (then `_` in the file name part), as they always did, so that the paths of
 *   run names like `u/me/run1` do not change;
 * - dots written literally in the template's file name part become `_` (daf_butler does the same);
 * - `{{` and `}}` are literal braces.
 */

/** Fields that come from the dataset ref itself rather than from its data ID. */
const SPECIAL_FIELDS = new Set(['run', 'id', 'datasetType', 'component']);

interface FieldSpec {
  readonly kind: 'field';
  /** Alternatives in order of preference. */
  readonly names: readonly string[];
  readonly optional: boolean;
  readonly keepSlashes: boolean;
  readonly width: number;
  readonly zeroPad: boolean;
  readonly integer: boolean;
}

interface TemplatePart {
  readonly literal: string;
  readonly field: FieldSpec | null;
}

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
const FORMAT_SPEC = /^(0)?([0-9]+)?(d|s)?$/;
/** Characters of a value that are percent-encoded (`/` only in a field without `:/`; dots are handled apart). */
const ESCAPED_CHARACTERS = /[%\s<>:"\\|?*\p{Cc}]/gu;
const ESCAPED_WITH_SLASH = /[%\s<>:"\\|?*\p{Cc}/]/gu;
/**
 * Stands for a dot of a value until the path is assembled: such a dot is kept in a directory name and escaped in
 * the file name part (it cannot come from a value, whose controls are escaped before).
 */
const VALUE_DOT = '\u0000';

export class FileTemplate {
  readonly template: string;
  /** Every field name used, alternatives included, in order of first appearance. */
  readonly fields: string[];
  readonly #parts: readonly TemplatePart[];
  /** Fields written somewhere with `:/` and never optional there: their other occurrences are decorative. */
  readonly #keptWhole: ReadonlySet<string>;

  constructor(template: string) {
    this.template = template;
    this.#parts = parseTemplate(template);
    const specs = this.#fieldSpecs();
    this.#keptWhole = new Set(
      specs.filter((f) => f.keepSlashes && !f.optional && f.names.length === 1).map((f) => f.names[0]),
    );
    this.fields = [...new Set(specs.flatMap((f) => f.names))];
    const invalid = (why: string) =>
      meridianError('CONFIG_INVALID', `File template '${template}' ${why}`, { template });
    if (specs.length === 0) throw invalid('has no fields');
    const mandatory = specs.filter((f) => !f.optional).flatMap((f) => (f.names.length === 1 ? f.names : []));
    if (!mandatory.includes('run') && !mandatory.includes('id')) {
      throw invalid('must contain a non-optional {run} or {id} field, so that paths are unique');
    }
    if (!this.fields.some((name) => !SPECIAL_FIELDS.has(name)) && !this.fields.includes('id')) {
      throw invalid('has no field for a dimension or {id}, so different data IDs would share a path');
    }
    if (this.fields.includes('id') && !template.slice(template.lastIndexOf('/') + 1).includes('{id')) {
      throw invalid('uses {id} but not in the file name part');
    }
  }

  /**
   * Checks this template against the required dimensions of a dataset type: each non-optional field must be a
   * special field or one of `dimensions` (or a record field of one), and unless `{id}` is used every dimension must
   * appear in some field, or two datasets could be given the same path.
   */
  validate(dimensions: string[]): void {
    const available = new Set(dimensions);
    const resolvable = (name: string) => SPECIAL_FIELDS.has(name) || available.has(name.split('.')[0]);
    const unresolvable = this.#fieldSpecs()
      .filter((f) => !f.optional && !f.names.some(resolvable))
      .map((f) => f.names.join('|'));
    if (unresolvable.length > 0) {
      throw meridianError(
        'CONFIG_INVALID',
        `File template '${this.template}' needs ${unresolvable.join(', ')}, which are not among the dimensions ` +
          `[${dimensions.join(', ')}]; make them optional with ':?' or use another template`,
        { template: this.template, missing: unresolvable, dimensions },
      );
    }
    if (this.fields.includes('id')) return;
    const covered = new Set(this.fields.map((name) => name.split('.')[0]));
    const uncovered = dimensions.filter((d) => !covered.has(d));
    if (uncovered.length > 0) {
      throw meridianError(
        'CONFIG_INVALID',
        `File template '${this.template}' does not use the dimensions ${uncovered.join(', ')}, ` +
          'so datasets differing only in them would get the same path; add them or {id}',
        { template: this.template, uncovered, dimensions },
      );
    }
  }

  /** The relative POSIX path (without extension) for a dataset. */
  format(ref: DatastoreRef): string {
    const [parentName, nameComponent] = splitComponent(ref.datasetType.name);
    const component = ref.component ?? nameComponent;
    let output = '';
    let usedComponent = false;
    for (const { literal, field } of this.#parts) {
      if (field === null) {
        output += literal;
        continue;
      }
      if (field.names.includes('component')) usedComponent = true;
      let found: string | number | undefined;
      let foundName = '';
      for (const name of field.names) {
        found = lookupField(name, ref, parentName, component);
        foundName = name;
        if (found !== undefined) break;
      }
      if (found === undefined) {
        if (!field.optional) {
          throw meridianError(
            'DATA_ID_INCOMPLETE',
            `File template '${this.template}' needs ${field.names.join(' or ')} for dataset ${ref.id}`,
            { template: this.template, missing: field.names, datasetId: ref.id },
          );
        }
        // Drop the literal text that introduced this field, but keep directory separators.
        output += literal.slice(0, literal.lastIndexOf('/') + 1);
        continue;
      }
      output += literal + this.#formatValue(found, field, foundName);
    }
    if (component !== null && !usedComponent) {
      throw meridianError(
        'CONFIG_INVALID',
        `File template '${this.template}' has no {component} field but dataset ${ref.id} is component ${component}`,
        { template: this.template, component },
      );
    }
    return normalizeRelativePath(output, this.template);
  }

  #fieldSpecs(): FieldSpec[] {
    return this.#parts.flatMap((p) => (p.field === null ? [] : [p.field]));
  }

  #formatValue(value: string | number, field: FieldSpec, name: string): string {
    let text: string;
    if (typeof value === 'number') {
      const digits = String(Math.abs(value));
      const sign = value < 0 ? '-' : '';
      const pad = Math.max(0, field.width - sign.length - digits.length);
      // Integers never contain '_', so padding with it keeps them distinct (a space would be escaped).
      text = field.zeroPad ? sign + '0'.repeat(pad) + digits : '_'.repeat(pad) + sign + digits;
      return text;
    } else if (field.integer) {
      throw meridianError(
        'CONFIG_INVALID',
        `File template '${this.template}' formats ${field.names.join('|')} as an integer but its value is '${value}'`,
        { template: this.template, field: field.names.join('|'), value },
      );
    } else {
      text = value;
    }
    if (!field.keepSlashes && this.#keptWhole.has(name)) {
      return text.replace(ESCAPED_CHARACTERS, percentEncode).replaceAll('/', '_');
    }
    return text
      .replace(field.keepSlashes ? ESCAPED_CHARACTERS : ESCAPED_WITH_SLASH, percentEncode)
      .replaceAll('.', VALUE_DOT);
  }
}

function splitComponent(datasetTypeName: string): [string, string | null] {
  const dot = datasetTypeName.indexOf('.');
  return dot < 0 ? [datasetTypeName, null] : [datasetTypeName.slice(0, dot), datasetTypeName.slice(dot + 1)];
}

function lookupField(
  name: string,
  ref: DatastoreRef,
  parentName: string,
  component: string | null,
): string | number | undefined {
  switch (name) {
    case 'run':
      return ref.run;
    case 'id':
      return ref.id;
    case 'datasetType':
      return parentName;
    case 'component':
      return component ?? undefined;
  }
  return name.includes('.') ? ref.recordValues?.[name] : ref.dataId[name];
}

/** '%' followed by the upper-case hex of each UTF-8 byte of `ch`. */
function percentEncode(ch: string): string {
  let out = '';
  for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/**
 * Collapses empty and '.' segments left by absent optional fields, turns literal dots of the file name part into
 * '_' and escapes a value's dots there (so an extension can be appended unambiguously), and refuses '..' segments.
 */
function normalizeRelativePath(assembled: string, template: string): string {
  const segments = assembled.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.length === 0) {
    throw meridianError('CONFIG_INVALID', `File template '${template}' produced an empty path`, { template });
  }
  const last = segments.length - 1;
  segments[last] = segments[last].replaceAll('.', '_').replaceAll(VALUE_DOT, '%2E');
  const restored = segments.map((s) => s.replaceAll(VALUE_DOT, '.')).filter((s) => s !== '.');
  if (restored.includes('..')) {
    const path = restored.join('/');
    throw meridianError('PATH_TRAVERSAL', `File template '${template}' produced a path with '..': ${path}`, {
      template,
      path,
    });
  }
  return restored.join('/');
}

function parseTemplate(template: string): TemplatePart[] {
  const invalid = (why: string) =>
    meridianError('CONFIG_INVALID', `File template '${template}' is malformed: ${why}`, { template });
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < template.length) {
    const ch = template[i];
    if ((ch === '{' || ch === '}') && template[i + 1] === ch) {
      literal += ch;
      i += 2;
      continue;
    }
    if (ch === '}') throw invalid(`unmatched '}' at position ${i}`);
    if (ch !== '{') {
      literal += ch;
      i += 1;
      continue;
    }
    const end = template.indexOf('}', i);
    if (end < 0) throw invalid(`unclosed '{' at position ${i}`);
    parts.push({ literal, field: parseField(template.slice(i + 1, end), invalid) });
    literal = '';
    i = end + 1;
  }
  if (literal !== '') parts.push({ literal, field: null });
  return parts;
}

function parseField(body: string, invalid: (why: string) => Error): FieldSpec {
  const colon = body.indexOf(':');
  const namePart = colon < 0 ? body : body.slice(0, colon);
  const rawSpec = colon < 0 ? '' : body.slice(colon + 1);
  const names = namePart.split('|');
  for (const name of names) {
    if (!FIELD_NAME.test(name)) throw invalid(`'${name}' is not a field name`);
  }
  const spec = rawSpec.replaceAll('?', '').replaceAll('/', '');
  const match = FORMAT_SPEC.exec(spec);
  if (match === null)
    throw invalid(`unsupported format spec '${rawSpec}' (use an optional width like 05d, '?', '/')`);
  return {
    kind: 'field',
    names,
    optional: rawSpec.includes('?'),
    keepSlashes: rawSpec.includes('/'),
    zeroPad: match[1] === '0',
    width: match[2] === undefined ? 0 : Number(match[2]),
    integer: match[3] === 'd',
  };
}

/**
 * The templates of one datastore. Look-up order for a dataset: its dataset type name, the parent dataset type of
 * a component, its dimensions key (dimension names joined by '+', in any order), its storage class, then 'default'.
 */
export class FileTemplates {
  /** A shortened form of daf_butler's default template (`configs/datastores/fileDatastore.yaml`). */
  static readonly DEFAULT: string =
    '{run:/}/{datasetType}.{component:?}/{tract:?}/{patch:?}/{day_obs|exposure.day_obs|visit.day_obs:?}/' +
    '{band:?}/{physical_filter:?}/{visit:?}/{exposure.obs_id|group:?}/' +
    '{datasetType}_{component:?}_{instrument:?}_{tract:?}_{patch:?}_{band:?}_{physical_filter:?}_{visit:?}_' +
    '{exposure.obs_id|group:?}_{detector.full_name|detector:?}_{skymap:?}_{htm7:?}_{run}';

  readonly #byKey = new Map<string, FileTemplate>();
  readonly #byDimensions = new Map<string, FileTemplate>();
  readonly #default: FileTemplate;

  constructor(config: Record<string, string> | undefined) {
    for (const [key, template] of Object.entries(config ?? {})) {
      if (key === 'default') continue;
      if (key.includes('+'))
        this.#byDimensions.set(dimensionsKey(key.split('+')), new FileTemplate(template));
      else this.#byKey.set(key, new FileTemplate(template));
    }
    this.#default = new FileTemplate(config?.default ?? FileTemplates.DEFAULT);
  }

  forRef(ref: DatastoreRef): FileTemplate {
    return this.forDatasetType(ref.datasetType);
  }

  forDatasetType(datasetType: DatastoreRef['datasetType']): FileTemplate {
    const { name, storageClass, dimensions } = datasetType;
    return (
      this.#byKey.get(name) ??
      this.#byKey.get(splitComponent(name)[0]) ??
      this.#byDimensions.get(dimensionsKey(dimensions)) ??
      // A single-dimension key has no '+', so it was filed with the names.
      (new Set(dimensions).size === 1 ? this.#byKey.get(dimensions[0]) : undefined) ??
      this.#byKey.get(storageClass) ??
      this.#default
    );
  }
}

function dimensionsKey(dimensions: readonly string[]): string {
  return [...new Set(dimensions)].sort().join('+');
}
