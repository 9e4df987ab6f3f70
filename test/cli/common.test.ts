import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { applyChainMode } from '../../src/cli/butler/collections.js';
import { splitDelimited } from '../../src/cli/butler/ingest-table.js';
import { caseInsensitiveChoice } from '../../src/cli/common/choices.js';
import { describeError } from '../../src/cli/common/error-report.js';
import { toJsonText } from '../../src/cli/common/json.js';
import { parseBind, parseDataId, parseDataIds } from '../../src/cli/common/key-values.js';
import { appendCommaSeparated } from '../../src/cli/common/list-options.js';
import { parseInteger, parseNonNegativeInteger, parseNumber } from '../../src/cli/common/number-options.js';
import { formatTable } from '../../src/cli/common/table.js';
import { meridianError } from '../../src/errors.js';

/** The shared CLI helpers, in process (they are pure functions; the programs are tested end to end elsewhere). */

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
};

describe('formatTable', () => {
  it('pads columns to the widest cell, right-aligns when asked and trims trailing blanks', () => {
    const text = formatTable(
      [
        { name: 'run1', n: 2, tags: ['a', 'b'] },
        { name: 'calib/run1', n: 10, tags: null },
      ],
      ['name', { key: 'n', header: 'count', align: 'right' }, 'tags'],
    );
    expect(text.split('\n')).toEqual([
      'name        count  tags',
      '----------  -----  ----',
      'run1            2  a, b',
      'calib/run1     10',
    ]);
  });
});

describe('key=value parsing', () => {
  it('parses data IDs as text and rejects malformed or contradictory ones', () => {
    expect(parseDataId('instrument=Cam1, detector=1')).toEqual({ instrument: 'Cam1', detector: '1' });
    expect(parseDataIds(['instrument=Cam1', 'detector=2', 'instrument=Cam1'])).toEqual({
      instrument: 'Cam1',
      detector: '2',
    });
    expect(codeOf(() => parseDataId('detector'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => parseDataId('=1'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => parseDataIds(['detector=1', 'detector=2']))).toBe('INVALID_ARGUMENT');
  });

  it('turns integer bind values into numbers and keeps the rest (including = and ,) as text', () => {
    expect(parseBind(['v=42', 'neg=-3', 'band=r', ':x=a=b,c', 'big=12345678901234567890', 'f=1.5'])).toEqual({
      v: 42,
      neg: -3,
      band: 'r',
      x: 'a=b,c',
      big: '12345678901234567890',
      f: '1.5',
    });
    expect(codeOf(() => parseBind(['novalue']))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => parseBind(['v=']))).toBe('INVALID_ARGUMENT');
  });

  it('collects comma-separated, repeated list options', () => {
    expect(appendCommaSeparated('c', appendCommaSeparated('a, b,', undefined))).toEqual(['a', 'b', 'c']);
  });
});

describe('choices, JSON and error reports', () => {
  it('accepts choices in any case and reports the allowed ones otherwise', () => {
    const parse = caseInsensitiveChoice(['TABLE', 'TREE'] as const);
    expect(parse('tree')).toBe('TREE');
    expect(() => parse('sideways')).toThrow(InvalidArgumentError);
    expect(() => parse('sideways')).toThrow('allowed choices are TABLE, TREE');
  });

  it('writes bigint values as decimal strings', () => {
    expect(JSON.parse(toJsonText({ ns: 1631217600000000000n }))).toEqual({ ns: '1631217600000000000' });
  });

  it('keeps the code, hint and details of Meridian errors and calls anything else INTERNAL', () => {
    expect(
      describeError(meridianError('COLLECTION_UNKNOWN', "collection 'x' does not exist", { name: 'x' })),
    ).toEqual({
      code: 'COLLECTION_UNKNOWN',
      message: "collection 'x' does not exist",
      hint: 'Check the name with `butler query-collections`.',
      details: { name: 'x' },
    });
    expect(describeError(new TypeError('boom'))).toMatchObject({
      code: 'INTERNAL',
      message: 'boom',
      details: {},
    });
  });
});

describe('numeric options', () => {
  it('parses numbers, integers and non-negative integers and rejects the rest as usage errors', () => {
    expect([parseNumber('0.5'), parseNumber('-37'), parseNumber('1e-3')]).toEqual([0.5, -37, 0.001]);
    expect([parseInteger('-3'), parseInteger('42')]).toEqual([-3, 42]);
    expect([parseNonNegativeInteger('0'), parseNonNegativeInteger(' 85 ')]).toEqual([0, 85]);
    for (const [parse, bad] of [
      [parseNumber, ''],
      [parseNumber, 'ten'],
      [parseNumber, 'Infinity'],
      [parseInteger, '1.5'],
      [parseInteger, '99999999999999999999'],
      [parseNonNegativeInteger, '-1'],
      [parseNonNegativeInteger, '1e3'],
      [parseNonNegativeInteger, ''],
    ] as const) {
      expect(() => parse(bad), `${parse.name}('${bad}')`).toThrow(InvalidArgumentError);
    }
    expect(() => parseNonNegativeInteger('ten')).toThrow("expected a non-negative integer, got 'ten'");
  });
});

describe('collection-chain modes', () => {
  const chain = ['a', 'b', 'c'];
  it('redefines, extends, prepends, removes and pops by 0-based or negative index', () => {
    expect(applyChainMode(chain, 'redefine', ['x'])).toEqual(['x']);
    expect(applyChainMode(chain, 'extend', ['x'])).toEqual(['a', 'b', 'c', 'x']);
    expect(applyChainMode(chain, 'prepend', ['x'])).toEqual(['x', 'a', 'b', 'c']);
    expect(applyChainMode(chain, 'remove', ['b'])).toEqual(['a', 'c']);
    expect(applyChainMode(chain, 'pop', [])).toEqual(['b', 'c']);
    expect(applyChainMode(chain, 'pop', ['-1', '1'])).toEqual(['a']);
    expect(codeOf(() => applyChainMode(chain, 'pop', ['3']))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => applyChainMode(chain, 'pop', ['x']))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => applyChainMode(chain, 'remove', ['z']))).toBe('INVALID_ARGUMENT');
  });
});

describe('ingest table fields', () => {
  it('splits CSV and space-delimited ECSV lines with quotes', () => {
    expect(splitDelimited('a.json,"Cam 1",  3 ', ',')).toEqual(['a.json', 'Cam 1', '3']);
    expect(splitDelimited('"say ""hi""",x', ',')).toEqual(['say "hi"', 'x']);
    expect(splitDelimited('a.json   "Cam 1" 3', ' ')).toEqual(['a.json', 'Cam 1', '3']);
    expect(splitDelimited('a,,b', ',')).toEqual(['a', '', 'b']);
    expect(splitDelimited('"open,x', ',')).toEqual({ error: 'unterminated quoted field' });
  });
});
