import { describe, expect, it } from 'vitest';
import { errorPosition, errorRange } from '../../src/portal/api/adql-error.js';

describe('ADQL error positions', () => {
  it("reads the server's line and column", () => {
    expect(
      errorPosition('ADQL syntax error at line 2, column 7: expected an expression, found FROM'),
    ).toEqual({
      line: 2,
      column: 7,
    });
    expect(errorPosition('unknown table dp02_dc2_catalogs.Nope')).toBeNull();
  });

  it('marks the word at the position on the right line', () => {
    const text = 'SELECT coord_ra\nFROM FROM dp02_dc2_catalogs.Object';
    const range = errorRange(text, { line: 2, column: 6 });
    expect(text.slice(range.from, range.to)).toBe('FROM');
    const qualified = errorRange(text, { line: 2, column: 11 });
    expect(text.slice(qualified.from, qualified.to)).toBe('dp02_dc2_catalogs.Object');
  });

  it('keeps a position past the end (an unexpected end of query) visible on the last character', () => {
    const text = 'SELECT * FROM';
    expect(errorRange(text, { line: 1, column: 14 })).toEqual({ from: 12, to: 13 });
    expect(errorRange(text, { line: 9, column: 1 })).toEqual({ from: 0, to: 6 });
  });
});
