import { describe, expect, it } from 'vitest';
import {
  evaluateExpression,
  expressionLabels,
  formatExpression,
  parseExpression,
} from '../../../src/pipe/index.js';
import { caught } from './helpers.js';

const configs: Record<string, Record<string, unknown>> = {
  isr: { doBias: true, gain: 2, name: 'isr', dims: ['visit', 'detector'], nested: { level: 3 }, empty: [] },
  calibrate: { doBias: true, gain: 4, threshold: 5.5, mode: 'fast', off: false, nothing: null },
};

function evaluate(text: string): unknown {
  return evaluateExpression(
    parseExpression(text),
    (label, path) => path.reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], configs[label]),
    text,
  );
}

describe('the contract language', () => {
  it('reads dotted config fields, nested ones included', () => {
    expect(evaluate('isr.doBias == calibrate.doBias')).toBe(true);
    expect(evaluate('isr.nested.level == 3')).toBe(true);
    expect(evaluate('calibrate.nothing == null')).toBe(true);
    expect(evaluate('isr.dims == ["visit", "detector"]')).toBe(true);
  });

  it('compares numbers and strings, and refuses to order mixed types', () => {
    expect(evaluate('isr.gain < calibrate.gain')).toBe(true);
    expect(evaluate('isr.gain >= 2 and calibrate.threshold <= 5.5')).toBe(true);
    expect(evaluate('calibrate.mode > "a"')).toBe(true);
    expect(evaluate('isr.gain != 2')).toBe(false);
    expect(caught(() => evaluate('isr.gain < "3"'))).toMatchObject({
      code: 'PIPELINE_INVALID',
      message: expect.stringContaining('cannot order a number and a string'),
    });
  });

  it('gives arithmetic the usual precedence', () => {
    expect(evaluate('1 + 2 * 3 == 7')).toBe(true);
    expect(evaluate('(1 + 2) * 3 == 9')).toBe(true);
    expect(evaluate('10 - 4 - 3 == 3')).toBe(true);
    expect(evaluate('8 / 4 / 2 == 1')).toBe(true);
    expect(evaluate('-isr.gain * 2 == -4')).toBe(true);
    expect(evaluate('calibrate.gain / isr.gain == 2')).toBe(true);
    expect(evaluate('"ab" + "c" == "abc"')).toBe(true);
    expect(caught(() => evaluate('1 / 0 == 1')).message).toContain('division by zero');
    expect(caught(() => evaluate('"a" - 1 == 1')).message).toContain(
      'cannot apply - to a string and a number',
    );
  });

  it('binds not below comparisons and and above or, as Python does', () => {
    expect(evaluate('not isr.gain == 3')).toBe(true); // not (gain == 3)
    expect(evaluate('! isr.gain == 3')).toBe(true);
    expect(evaluate('true or false and false')).toBe(true); // true or (false and false)
    expect(evaluate('(true or false) and false')).toBe(false);
    expect(evaluate('true || false && false')).toBe(true);
    expect(evaluate('not not calibrate.off')).toBe(false);
  });

  it('uses truthiness for and, or and not', () => {
    expect(evaluate('isr.empty or calibrate.nothing')).toBe(false);
    expect(evaluate('isr.gain and calibrate.mode')).toBe(true);
    expect(evaluate('not isr.empty')).toBe(true);
  });

  it('tests membership in lists, strings and maps', () => {
    expect(evaluate('calibrate.mode in ["fast", "slow"]')).toBe(true);
    expect(evaluate('calibrate.mode not in ["fast", "slow"]')).toBe(false);
    expect(evaluate('"visit" in isr.dims')).toBe(true);
    expect(evaluate('"as" in calibrate.mode')).toBe(true);
    expect(evaluate('"level" in isr.nested')).toBe(true);
    expect(evaluate('[1, 2] in [[1, 2], [3]]')).toBe(true);
    expect(caught(() => evaluate('1 in 2')).message).toContain('cannot test whether a number is in a number');
  });

  it('accepts Python spellings of the constants and both quote styles', () => {
    expect(evaluate('True and not False and None == null and \'x\' == "x"')).toBe(true);
    expect(evaluate('1.5e1 == 15 and .5 == 0.5')).toBe(true);
    expect(evaluate('"a\\"b" == \'a"b\'')).toBe(true);
  });

  it('lists the labels a contract reads', () => {
    expect([...expressionLabels(parseExpression('isr.a == 1 or [calibrate.b] in x.y'))].sort()).toEqual([
      'calibrate',
      'isr',
      'x',
    ]);
  });

  it('formats a tree back to text that parses to the same tree', () => {
    for (const text of [
      'not (isr.a or isr.b) and -(1 + 2) * 3 == -9',
      '(1 - (2 - 3)) / (4 * (5 / 6)) != 0 or "q\\"" in ["a", -1, null, true]',
      '(not isr.x) == false',
      'isr.a not in [1, 2] and (true or false)',
    ]) {
      const tree = parseExpression(text);
      expect(parseExpression(formatExpression(tree))).toEqual(tree);
    }
  });

  it('reports syntax errors with the column and a caret', () => {
    for (const [text, col, words] of [
      ['isr.a ==', 9, 'expected a value'],
      ['isr.a == 1)', 11, "unexpected ')'"],
      ['(isr.a == 1', 12, "expected ')'"],
      ['isr.a == @', 10, "unexpected character '@'"],
      ['isr == 1', 1, "'isr' is not a field"],
      ['1 < isr.a < 3', 11, 'comparisons do not chain'],
      ['"open', 1, 'unterminated string'],
      ['[1, 2', 6, "expected ',' or ']'"],
      ['isr.a == and', 10, "unexpected 'and'"],
      ['   ', 1, 'the contract is empty'],
    ] as const) {
      const err = caught(() => parseExpression(text)) as {
        code: string;
        message: string;
        details: { column: number };
      };
      expect(err.code).toBe('PIPELINE_INVALID');
      expect(err.message).toContain(words);
      expect(err.details.column).toBe(col);
    }
  });

  it('bounds nesting and length instead of overflowing the stack', () => {
    expect(caught(() => parseExpression(`${'('.repeat(100)}1${')'.repeat(100)}`)).message).toContain(
      'nested more than 64 levels',
    );
    expect(caught(() => parseExpression(`${'not '.repeat(100)}true`)).message).toContain('nested more than');
    expect(caught(() => parseExpression('1 + '.repeat(2000) + '1')).message).toContain('at most 4000');
    expect(evaluate(`${'('.repeat(60)}1${')'.repeat(60)} == 1`)).toBe(true);
  });
});
