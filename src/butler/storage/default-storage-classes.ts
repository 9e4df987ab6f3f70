import type { StorageClassDef } from './storage-class.js';

/**
 * Meridian's built-in storage classes. Names follow daf_butler's `configs/storageClasses.yaml` where a class exists
 * there (see reference/butler.md §1.4); `string` stands for daf_butler's `str`.
 * The image and table classes are registered without formatters so that dataset types can already be declared;
 * the FITS and Parquet formatters are added later with `FormatterRegistry.register`.
 */
export const DEFAULT_STORAGE_CLASS_DEFS: readonly StorageClassDef[] = [
  // ---- plain JSON-able data ---------------------------------------------------------------------------------------
  { name: 'StructuredDataDict', valueType: 'object', description: 'A JSON-able object.' },
  { name: 'StructuredDataList', valueType: 'array', description: 'A JSON-able array.' },
  { name: 'Config', valueType: 'object', description: 'A configuration tree (stored as YAML).' },
  { name: 'Packages', valueType: 'object', description: 'Software package names mapped to versions.' },
  { name: 'TaskMetadata', valueType: 'object', description: 'Metadata a task records while it runs.' },
  { name: 'int', valueType: 'integer', description: 'A single integer.' },
  { name: 'float', valueType: 'number', description: 'A single floating-point number.' },
  { name: 'string', valueType: 'string', description: 'A single string.' },
  {
    // Modelled on daf_butler's test class MetricsExample: a JSON object whose top-level keys are its components.
    name: 'StructuredComposite',
    valueType: 'object',
    description: 'A JSON object with components summary, output and data; `slice` selects part of `data`.',
    components: { summary: 'StructuredDataDict', output: 'StructuredDataDict', data: 'StructuredDataList' },
    parameters: ['slice'],
  },

  // ---- image classes (formatters come with the FITS support) -----------------------------------------------------
  { name: 'Box2I', description: 'An integer pixel bounding box.' },
  { name: 'Extent2I', description: 'Integer image dimensions (width, height).' },
  { name: 'PropertyList', description: 'An ordered header of keyword/value/comment entries.' },
  { name: 'Wcs', description: 'A sky world coordinate system (SkyWcs).' },
  { name: 'VisitInfo', description: 'Observation metadata of a visit or exposure.' },
  { name: 'Psf', description: 'A point-spread function model.' },
  { name: 'PhotoCalib', description: 'A photometric calibration (instrumental flux to nJy).' },
  {
    name: 'Image',
    description: 'A 2-d pixel array.',
    derivedComponents: { bbox: 'Box2I', dimensions: 'Extent2I' },
    parameters: ['bbox', 'origin'],
  },
  { name: 'ImageF', inheritsFrom: 'Image', description: 'A 32-bit floating-point image.' },
  {
    name: 'Mask',
    description: 'A 2-d bit-mask array with named planes.',
    derivedComponents: { bbox: 'Box2I', dimensions: 'Extent2I' },
    parameters: ['bbox', 'origin'],
  },
  { name: 'MaskX', inheritsFrom: 'Mask', description: 'A 32-bit mask.' },
  {
    name: 'Exposure',
    description: 'An image with mask, variance and calibration objects (multi-extension FITS).',
    components: {
      image: 'Image',
      mask: 'Mask',
      variance: 'Image',
      wcs: 'Wcs',
      psf: 'Psf',
      photoCalib: 'PhotoCalib',
      visitInfo: 'VisitInfo',
      metadata: 'PropertyList',
    },
    derivedComponents: { bbox: 'Box2I', dimensions: 'Extent2I' },
    parameters: ['bbox', 'origin'],
  },
  {
    name: 'ExposureF',
    inheritsFrom: 'Exposure',
    description: 'An Exposure with a 32-bit floating-point image.',
  },

  // ---- table and catalog classes (formatters come with the Parquet support) --------------------------------------
  { name: 'DataFrameIndex', description: 'The column names of a table.' },
  { name: 'DataFrameSchema', description: 'The column names and types of a table.' },
  {
    name: 'DataFrame',
    description: 'A column table (Parquet).',
    derivedComponents: { columns: 'DataFrameIndex', rowcount: 'int', schema: 'DataFrameSchema' },
    parameters: ['columns', 'filters'],
  },
  {
    name: 'ArrowTable',
    description: 'A column table in Arrow layout (Parquet).',
    derivedComponents: { columns: 'DataFrameIndex', rowcount: 'int', schema: 'DataFrameSchema' },
    parameters: ['columns', 'filters'],
  },
  {
    name: 'ArrowAstropy',
    description: 'A column table with units and descriptions (Parquet).',
    derivedComponents: { columns: 'DataFrameIndex', rowcount: 'int', schema: 'DataFrameSchema' },
    parameters: ['columns', 'filters'],
  },
  { name: 'Catalog', description: 'A record catalog with a schema.' },
  { name: 'SimpleCatalog', inheritsFrom: 'Catalog', description: 'A catalog of id and sky coordinates.' },
  { name: 'SourceCatalog', inheritsFrom: 'SimpleCatalog', description: 'A catalog of detected sources.' },
  { name: 'SkyMap', description: 'A tessellation of the sky into tracts and patches.' },
];
