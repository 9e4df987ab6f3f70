export { DEFAULT_STORAGE_CLASS_DEFS } from './default-storage-classes.js';
export { type Formatter, FormatterRegistry, type ReadOptions } from './formatter.js';
export { JsonFormatter } from './json-formatter.js';
export {
  StorageClass,
  type StorageClassDef,
  StorageClassRegistry,
  type StorageValueType,
} from './storage-class.js';
export {
  assertPlainData,
  checkStoredValue,
  type SliceParameter,
  selectStructured,
} from './structured-data.js';
export { YamlFormatter } from './yaml-formatter.js';
