import { meridianError } from '../../errors.js';
import { DEFAULT_STORAGE_CLASS_DEFS } from './default-storage-classes.js';

/**
 * The JavaScript shape a storage class's in-memory value must have. It plays the role of daf_butler's `pytype`:
 * `put` checks it before any file is written, so a wrong value fails early instead of producing an unreadable file.
 * Absent means "any value" (used by classes whose formatters check their own objects, e.g. Exposure).
 */
export type StorageValueType = 'object' | 'array' | 'integer' | 'number' | 'string';

export interface StorageClassDef {
  name: string;
  components?: Record<string, string>;
  derivedComponents?: Record<string, string>;
  parameters?: string[];
  inheritsFrom?: string;
  description?: string;
  valueType?: StorageValueType;
}

/**
 * A named description of how a dataset looks in memory: its components (stored parts of a composite), derived
 * components (computed on read, e.g. a table's row count) and the read parameters it accepts.
 * Inherited definitions are already merged in: a child sees its parent's components and parameters.
 */
export class StorageClass {
  readonly name: string;
  readonly components: Readonly<Record<string, string>>;
  readonly derivedComponents: Readonly<Record<string, string>>;
  readonly parameters: readonly string[];
  readonly description: string;
  readonly valueType: StorageValueType | null;
  /** The class this one inherits from, already resolved; formatter look-up walks this chain. */
  readonly parent: StorageClass | null;

  constructor(def: StorageClassDef, parent: StorageClass | null = null) {
    this.name = def.name;
    this.parent = parent;
    this.components = Object.freeze({ ...parent?.components, ...def.components });
    this.derivedComponents = Object.freeze({ ...parent?.derivedComponents, ...def.derivedComponents });
    this.parameters = Object.freeze([...new Set([...(parent?.parameters ?? []), ...(def.parameters ?? [])])]);
    this.description = def.description ?? parent?.description ?? '';
    this.valueType = def.valueType ?? parent?.valueType ?? null;
  }

  isComposite(): boolean {
    return Object.keys(this.components).length > 0;
  }

  /** Stored and derived component names, stored ones first. */
  allComponents(): string[] {
    return [...Object.keys(this.components), ...Object.keys(this.derivedComponents)];
  }

  /** Name of the storage class of one component (stored or derived). */
  componentStorageClass(component: string): string {
    const name = Object.hasOwn(this.components, component)
      ? this.components[component]
      : Object.hasOwn(this.derivedComponents, component)
        ? this.derivedComponents[component]
        : undefined;
    if (name === undefined) {
      const valid = this.allComponents();
      throw meridianError(
        'COMPONENT_UNKNOWN',
        `Storage class ${this.name} has no component '${component}'; ` +
          (valid.length > 0 ? `valid components: ${valid.join(', ')}` : 'it has no components'),
        { storageClass: this.name, component, validComponents: valid },
      );
    }
    return name;
  }

  /** The chain of names used for look-ups: this class, then each ancestor. */
  lineage(): string[] {
    const names: string[] = [];
    for (let sc: StorageClass | null = this; sc !== null; sc = sc.parent) names.push(sc.name);
    return names;
  }

  /** Throws INVALID_ARGUMENT if `value` does not have this class's in-memory shape. */
  checkValue(value: unknown): void {
    if (this.valueType === null || valueHasType(value, this.valueType)) return;
    throw meridianError(
      'INVALID_ARGUMENT',
      `A value of storage class ${this.name} must be ${describeType(this.valueType)}, got ${describeValue(value)}`,
      { storageClass: this.name, expected: this.valueType },
    );
  }

  /** The definition this class was built from, with inherited entries left to the parent. */
  toDef(): StorageClassDef {
    const own = <T>(mine: Readonly<Record<string, T>>, inherited: Readonly<Record<string, T>> | undefined) =>
      Object.fromEntries(Object.entries(mine).filter(([k, v]) => inherited?.[k] !== v));
    const def: StorageClassDef = { name: this.name };
    const components = own(this.components, this.parent?.components);
    const derived = own(this.derivedComponents, this.parent?.derivedComponents);
    const parameters = this.parameters.filter((p) => !this.parent?.parameters.includes(p));
    if (Object.keys(components).length > 0) def.components = components;
    if (Object.keys(derived).length > 0) def.derivedComponents = derived;
    if (parameters.length > 0) def.parameters = parameters;
    if (this.parent !== null) def.inheritsFrom = this.parent.name;
    if (this.description !== '' && this.description !== this.parent?.description)
      def.description = this.description;
    if (this.valueType !== null && this.valueType !== this.parent?.valueType) def.valueType = this.valueType;
    return def;
  }
}

function valueHasType(value: unknown, type: StorageValueType): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'string':
      return typeof value === 'string';
  }
}

function describeType(type: StorageValueType): string {
  return {
    object: 'a plain object',
    array: 'an array',
    integer: 'an integer',
    number: 'a number',
    string: 'a string',
  }[type];
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'number' ? `the number ${value}` : `a value of type ${typeof value}`;
}

/** All storage classes known to one repository. */
export class StorageClassRegistry {
  readonly #classes = new Map<string, StorageClass>();

  /** A registry holding Meridian's built-in storage classes (see default-storage-classes.ts). */
  static withDefaults(): StorageClassRegistry {
    const registry = new StorageClassRegistry();
    registry.registerAll(DEFAULT_STORAGE_CLASS_DEFS);
    return registry;
  }

  /**
   * Adds one storage class. Its parent and the storage classes of its components must already be known.
   * Registering the same definition twice is a no-op; a different definition under a known name is refused.
   */
  register(def: StorageClassDef): void {
    if (typeof def.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(def.name)) {
      throw meridianError('CONFIG_INVALID', `Invalid storage class name '${String(def.name)}'`, {
        name: def.name,
      });
    }
    const parent = def.inheritsFrom === undefined ? null : this.get(def.inheritsFrom);
    const candidate = new StorageClass(def, parent);
    for (const [component, scName] of Object.entries({
      ...candidate.components,
      ...candidate.derivedComponents,
    })) {
      if (!this.has(scName) && scName !== def.name) {
        throw meridianError(
          'STORAGE_CLASS_UNKNOWN',
          `Storage class ${def.name}: component '${component}' uses unknown storage class ${scName}; register it first`,
          { storageClass: def.name, component, componentStorageClass: scName },
        );
      }
    }
    const existing = this.#classes.get(def.name);
    if (existing !== undefined) {
      if (JSON.stringify(existing.toDef()) === JSON.stringify(candidate.toDef())) return;
      throw meridianError(
        'CONFIG_INVALID',
        `Storage class ${def.name} is already registered with a different definition`,
        { existing: existing.toDef(), requested: candidate.toDef() },
      );
    }
    this.#classes.set(def.name, candidate);
  }

  /** Registers several definitions in an order that puts parents and component classes first. */
  registerAll(defs: readonly StorageClassDef[]): void {
    const pending = new Map(defs.map((d) => [d.name, d]));
    const visit = (def: StorageClassDef, stack: Set<string>) => {
      if (!pending.has(def.name)) return;
      if (stack.has(def.name)) {
        throw meridianError('CONFIG_INVALID', `Storage class ${def.name} depends on itself`, {
          name: def.name,
        });
      }
      stack.add(def.name);
      const deps = [
        def.inheritsFrom,
        ...Object.values(def.components ?? {}),
        ...Object.values(def.derivedComponents ?? {}),
      ];
      for (const dep of deps) {
        const depDef = dep === undefined || dep === def.name ? undefined : pending.get(dep);
        if (depDef !== undefined) visit(depDef, stack);
      }
      stack.delete(def.name);
      pending.delete(def.name);
      this.register(def);
    };
    for (const def of defs) visit(def, new Set());
  }

  get(name: string): StorageClass {
    const sc = this.#classes.get(name);
    if (sc === undefined) {
      throw meridianError('STORAGE_CLASS_UNKNOWN', `Unknown storage class '${name}'`, { storageClass: name });
    }
    return sc;
  }

  has(name: string): boolean {
    return this.#classes.has(name);
  }

  names(): string[] {
    return [...this.#classes.keys()];
  }

  /** Definitions in registration order, which is a valid order to register them again. */
  toConfig(): StorageClassDef[] {
    return [...this.#classes.values()].map((sc) => sc.toDef());
  }
}
