/** TAP parameter parsing and output-format selection (pure functions). */

import { describe, expect, it } from 'vitest';
import { serverLimitsSchema } from '../../src/server/index.js';
import { resultFormatFor } from '../../src/server/tap/formats.js';
import { caseInsensitive, syncQueryParameters } from '../../src/server/tap/params.js';

const limits = serverLimitsSchema.parse({ maxrecDefault: 10, maxrecHard: 100 });

describe('TAP parameters', () => {
  it('merges sources with case-insensitive names; the first source and first value win', () => {
    const params = caseInsensitive({ Query: ['a', 'b'], lang: 'ADQL' }, { QUERY: 'c', MaxRec: '5' });
    expect(Object.fromEntries(params)).toEqual({ query: 'a', lang: 'ADQL', maxrec: '5' });
  });

  it('applies the MAXREC default and cap, and RESPONSEFORMAT over FORMAT', () => {
    const base = new Map([
      ['lang', 'adql'],
      ['query', 'SELECT 1'],
    ]);
    expect(syncQueryParameters(base, limits).maxrec).toBe(10);
    expect(syncQueryParameters(new Map([...base, ['maxrec', ' 1000 ']]), limits).maxrec).toBe(100);
    expect(
      syncQueryParameters(new Map([...base, ['format', 'csv'], ['responseformat', 'tsv']]), limits)
        .responseFormat,
    ).toBe('tsv');
    expect(() => syncQueryParameters(new Map([...base, ['maxrec', '1e3']]), limits)).toThrow(
      expect.objectContaining({ code: 'TAP_PARAMETER' }),
    );
  });

  it('selects formats by MIME type or alias, ignoring case and spaces', () => {
    expect(resultFormatFor(undefined).id).toBe('votable');
    expect(resultFormatFor('application/x-votable+xml; serialization=binary2').id).toBe('votable-binary2');
    expect(resultFormatFor('VOTABLE/B2').id).toBe('votable-binary2');
    expect(resultFormatFor('text/csv;header=present').id).toBe('csv');
    expect(() => resultFormatFor('application/fits')).toThrow(
      expect.objectContaining({ code: 'TAP_PARAMETER' }),
    );
  });

  it('refuses inconsistent limits at the boundary', () => {
    expect(serverLimitsSchema.safeParse({ maxrecDefault: 1000, maxrecHard: 10 }).success).toBe(false);
  });
});
