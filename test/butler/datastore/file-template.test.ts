import { describe, expect, it } from 'vitest';
import { FileTemplate, FileTemplates } from '../../../src/butler/datastore/index.js';
import { makeRef } from './refs.js';

// Behaviours ported from daf_butler tests/test_templates.py (testBasic, testOptional, testComponent, testFields,
// testValidation, testSimpleConfig), with the differences noted in docs/datastore.md.
const dataId = { instrument: 'dummy', visit: 52, physical_filter: 'U' };
const format = (template: string, ref = makeRef('calexp', dataId)) => new FileTemplate(template).format(ref);

describe('FileTemplate.format', () => {
  it('fills fields, pads integers and keeps literal text', () => {
    expect(format('{run}/{datasetType}/{visit:05d}/{physical_filter}')).toBe('run2/calexp/00052/U');
    expect(format('{run}/{datasetType}/{visit:05d}/{physical_filter}-trail')).toBe(
      'run2/calexp/00052/U-trail',
    );
    expect(format('{run}/{datasetType}/{visit:05d}/{physical_filter}-trail-{run}')).toBe(
      'run2/calexp/00052/U-trail-run2',
    );
    expect(format('{run}/{id}', makeRef('calexp', {}, { id: 'abc' }))).toBe('run2/abc');
  });

  // Issue 9 changed the escaping to be injective: '/' becomes %2F unless the field says :/, or is a decorative
  // repeat of a field also written with :/ (then '_', so default-template paths of 'u/me/run' do not change).
  it('escapes / in values as %2F unless the field says :/', () => {
    const ref = makeRef('calexp', dataId, { run: 'run/2' });
    expect(format('{run}/{datasetType}/{visit:05d}/{physical_filter}-trail-{run}', ref)).toBe(
      'run%2F2/calexp/00052/U-trail-run%2F2',
    );
    expect(format('{run:/}/{datasetType}/{visit:05d}/{physical_filter}-trail-{run}', ref)).toBe(
      'run/2/calexp/00052/U-trail-run_2',
    );
  });

  it('escapes dots of values in the file name but not in directories', () => {
    const ref = makeRef('calexp', { ...dataId, physical_filter: 'g.10' }, { run: 'run.2' });
    expect(format('{run:/}/{datasetType}/{visit:05d}/{physical_filter}-trail-{run}', ref)).toBe(
      'run.2/calexp/00052/g%2E10-trail-run_2',
    );
  });

  it('percent-encodes characters that are awkward in file names', () => {
    const ref = makeRef('calexp', { ...dataId, physical_filter: 'a b<c>:d"e\\f|g?h*i\tj' });
    expect(format('{run}/{physical_filter}', ref)).toBe('run2/a%20b%3Cc%3E%3Ad%22e%5Cf%7Cg%3Fh%2Ai%09j');
  });

  it('drops absent optional fields with the literal text before them, keeping directory separators', () => {
    expect(format('{run}/{datasetType}/v{visit:05d}_f{physical_filter:?}')).toBe('run2/calexp/v00052_fU');
    const noFilter = makeRef('calexpT', { visit: 48, tract: 265, skymap: 'big', instrument: 'dummy' });
    expect(format('{run}/{datasetType}/v{visit:05d}_f{physical_filter:?}', noFilter)).toBe(
      'run2/calexpT/v00048',
    );
    expect(format('{run}/{tract:?}/{visit:?}/f{physical_filter}')).toBe('run2/52/fU');
    expect(format('{run}/{datasetType}/{patch:?}/{tract:?}/f{physical_filter}')).toBe('run2/calexp/fU');
    expect(format('{run}/{datasetType}/p{patch:?}_t{visit:04d?}/f{physical_filter}')).toBe(
      'run2/calexp/_t0052/fU',
    );
    // Upstream keeps the whole literal when it contains '/', giving 'run2/calexp/p/fU'; we keep only up to the '/'.
    expect(format('{run}/{datasetType}/p{patch:?}_t{tract:?}/f{physical_filter}')).toBe('run2/calexp/fU');
    expect(format('{tract:?}/{run}/{visit}')).toBe('run2/52');
  });

  it('takes the first available alternative', () => {
    const ref = makeRef(
      'raw',
      { instrument: 'Cam', exposure: 7, detector: 1 },
      { recordValues: { 'exposure.obs_id': 'CC_7' } },
    );
    expect(format('{run}/{exposure.obs_id|group}/{detector}', ref)).toBe('run2/CC_7/1');
    const grouped = makeRef('raw', { instrument: 'Cam', group: 'g1', detector: 1 });
    expect(format('{run}/{exposure.obs_id|group}/{detector}', grouped)).toBe('run2/g1/1');
    expect(() => format('{run}/{exposure.obs_id|group}/{detector}', makeRef('raw', { detector: 1 }))).toThrow(
      expect.objectContaining({
        code: 'DATA_ID_INCOMPLETE',
        message: expect.stringContaining('exposure.obs_id or group'),
      }),
    );
    expect(format('{run}/{day_obs|exposure.day_obs:?}/{detector}', makeRef('raw', { detector: 1 }))).toBe(
      'run2/1',
    );
  });

  it('uses record values for element.field names', () => {
    const ref = makeRef('calexp', dataId, {
      recordValues: { 'visit.name': 'night one', 'detector.full_name': 'R22_S11' },
    });
    expect(format('{run}/{visit.name}/{detector.full_name:?}_{visit}', ref)).toBe(
      'run2/night%20one/R22_S11_52',
    );
  });

  it('handles components', () => {
    const tmpl = '{component:?}/{run}_{component:?}_{visit}';
    expect(format('{run}_c_{component}_v{visit}', makeRef('metric.output', dataId))).toBe(
      'run2_c_output_v52',
    );
    expect(format(tmpl, makeRef('metric', dataId))).toBe('run2_52');
    expect(format(tmpl, makeRef('metric.output', dataId))).toBe('output/run2_output_52');
    expect(format(tmpl, makeRef('calexp.maskedimage.variance', dataId))).toBe(
      'maskedimage.variance/run2_maskedimage%2Evariance_52',
    );
    expect(format(tmpl, makeRef('calexp', dataId, { component: 'wcs' }))).toBe('wcs/run2_wcs_52');
    expect(() => format('{run}/{datasetType}/v{visit:05d}', makeRef('calexp.wcs', dataId))).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });

  it('fails on a missing required field and on integer formatting of a string', () => {
    expect(() => format('{run}/{tract}')).toThrow(expect.objectContaining({ code: 'DATA_ID_INCOMPLETE' }));
    expect(() => format('{run}/{physical_filter:05d}')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });

  it('refuses values that would climb out of the root', () => {
    const ref = makeRef('calexp', dataId, { run: '../..' });
    expect(() => format('{run:/}/{visit}', ref)).toThrow(expect.objectContaining({ code: 'PATH_TRAVERSAL' }));
    expect(() => format('{run}/{visit}', makeRef('calexp', dataId, { run: '..' }))).toThrow(
      expect.objectContaining({ code: 'PATH_TRAVERSAL' }),
    );
    // Without ':/' the slashes are escaped and the value is a harmless name.
    expect(format('{run}/{visit}', ref)).toBe('..%2F../52');
    expect(format('{run:/}/{visit}', makeRef('calexp', dataId, { run: '/abs/run' }))).toBe('abs/run/52');
  });
});

describe('FileTemplate construction and validation', () => {
  it('rejects templates without fields, without run or id, or malformed', () => {
    for (const bad of [
      'no fields at all',
      '{visit}',
      '{run}_{datasetType}',
      '{run:?}/{visit}',
      '{run}/{visit',
      '{run}/{visit:x}',
      '{run}/{bad name}',
      '{id}/fixed',
    ]) {
      expect(() => new FileTemplate(bad), bad).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
    expect(new FileTemplate('{{literal}}/{run}/{visit}').format(makeRef('x', dataId))).toBe(
      '{literal}/run2/52',
    );
  });

  it('lists its fields', () => {
    expect(
      new FileTemplate('{run}/{component:?}_{visit:?}_{physical_filter}_{exposure.obs_id|group}').fields,
    ).toEqual(['run', 'component', 'visit', 'physical_filter', 'exposure.obs_id', 'group']);
  });

  it('validates against dimensions: required fields must exist, every dimension must be used unless {id} is', () => {
    const tmpl = new FileTemplate('{run}/{datasetType}/{visit}/{physical_filter:?}_{tract:?}');
    tmpl.validate(['visit']);
    expect(() => tmpl.validate(['tract'])).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => tmpl.validate(['visit', 'detector'])).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('detector') }),
    );
    new FileTemplate('{run}/{datasetType}/{id}').validate(['visit', 'detector']);
    new FileTemplate('{run}/{exposure.obs_id}_{detector}').validate(['exposure', 'detector']);
  });

  it('validates the default template for common dimension groups', () => {
    const tmpl = new FileTemplate(FileTemplates.DEFAULT);
    for (const dims of [
      [],
      ['instrument'],
      ['instrument', 'detector'],
      ['instrument', 'exposure', 'detector'],
      ['instrument', 'visit', 'detector'],
      ['instrument', 'physical_filter', 'detector'],
      ['skymap', 'tract', 'patch', 'band'],
      ['htm7'],
    ]) {
      tmpl.validate(dims);
    }
  });

  it('formats the default template with separators collapsed', () => {
    const tmpl = new FileTemplate(FileTemplates.DEFAULT);
    const calexp = makeRef(
      'calexp',
      {
        instrument: 'MeridianCam',
        detector: 1,
        visit: 42,
        physical_filter: 'MC-r',
        band: 'r',
        day_obs: 20260101,
      },
      { run: 'u/someone/run1' },
    );
    expect(tmpl.format(calexp)).toBe(
      'u/someone/run1/calexp/20260101/r/MC-r/42/calexp_MeridianCam_r_MC-r_42_1_u_someone_run1',
    );
    expect(tmpl.format(makeRef('packages', {}, { run: 'r' }))).toBe('r/packages/packages_r');
  });
});

describe('FileTemplates look-up', () => {
  const templates = new FileTemplates({
    calexp: '{run}/by-name/{visit}',
    'physical_filter+instrument': '{run}/by-dims/{physical_filter}',
    instrument: '{run}/by-one-dim/{instrument}',
    StorageClassX: '{run}/by-storage-class/{visit:?}_{id}',
    default: '{run}/default/{id}',
  });

  it('prefers dataset type name, then dimensions, then storage class, then default', () => {
    const sc = { storageClass: 'StorageClassX' };
    expect(templates.forRef(makeRef('calexp', dataId, sc)).template).toBe('{run}/by-name/{visit}');
    expect(templates.forRef(makeRef('calexp.wcs', dataId, sc)).template).toBe('{run}/by-name/{visit}');
    expect(
      templates.forRef(makeRef('nomatch', { instrument: 'LSST', physical_filter: 'z' }, sc)).template,
    ).toBe('{run}/by-dims/{physical_filter}');
    expect(templates.forRef(makeRef('nomatch', { instrument: 'LSST' }, sc)).template).toBe(
      '{run}/by-one-dim/{instrument}',
    );
    expect(templates.forRef(makeRef('nomatch', dataId, sc)).template).toBe(
      '{run}/by-storage-class/{visit:?}_{id}',
    );
    expect(templates.forRef(makeRef('nomatch', dataId)).template).toBe('{run}/default/{id}');
  });

  it('falls back to the built-in default and validates entries on construction', () => {
    expect(new FileTemplates(undefined).forRef(makeRef('x', dataId)).template).toBe(FileTemplates.DEFAULT);
    expect(() => new FileTemplates({ calexp: '{visit}' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});

describe('FileTemplate escaping is injective (issue 9)', () => {
  const runs = [
    'u/me/t12:00',
    'u/me/t12_00',
    'u/me/t12%3A00',
    'u/me/t12 00',
    'u/me/t12.00',
    'u_me_t12_00',
    'u/me_t12/00',
    'u/me/t12?00',
    'u/me/t12\u00e900',
  ];
  const templates = [
    FileTemplates.DEFAULT,
    '{run}/{datasetType}/{visit}',
    '{run:/}/{datasetType}/{visit}',
    '{datasetType}/{visit}/{datasetType}_{run}',
  ];

  it.each(templates)('gives different runs different paths with %s', (template) => {
    const tmpl = new FileTemplate(template);
    const paths = runs.map((run) => tmpl.format(makeRef('calexp', dataId, { run })));
    expect(new Set(paths).size).toBe(runs.length);
  });

  it('gives different values of a dimension different paths', () => {
    const filters = ['g.10', 'g_10', 'g%2E10', 'g/10', 'g:10', 'g 10'];
    const tmpl = new FileTemplate('{run}/{datasetType}/{visit}/{physical_filter}');
    const paths = filters.map((f) => tmpl.format(makeRef('calexp', { ...dataId, physical_filter: f })));
    expect(new Set(paths).size).toBe(filters.length);
    expect(paths[2]).toBe('run2/calexp/52/g%252E10');
  });

  it('keeps the paths of names made of safe characters, and of run names under the default template', () => {
    const ref = makeRef('calexp', { ...dataId, physical_filter: 'HSC-R2' }, { run: 'u/me/run-1_a' });
    expect(format('{run:/}/{datasetType}/{physical_filter}/{datasetType}_{visit}_{run}', ref)).toBe(
      'u/me/run-1_a/calexp/HSC-R2/calexp_52_u_me_run-1_a',
    );
    expect(format('{run}/{visit}', makeRef('calexp', dataId, { run: 'dp0.2-w_2024' }))).toBe(
      'dp0.2-w_2024/52',
    );
  });
});
