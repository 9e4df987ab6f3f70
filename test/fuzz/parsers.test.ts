/** The parser fuzzers at test-suite size (the nightly size is `npm run fuzz`, 1,000,000 inputs each). */
import { describe, expect, it } from 'vitest';
import { ADQL_TARGET, fuzz, WHERE_TARGET } from '../../fuzz/parsers.js';

describe.each([ADQL_TARGET, WHERE_TARGET])('$name', (target) => {
  it('gives every one of 5,000 hostile inputs an answer or a coded error, each within a second', () => {
    const report = fuzz(target, { inputs: 5000, seed: 20261204 });
    expect(report.uncoded).toEqual([]);
    expect(report.slow).toEqual([]);
    // The generator must exercise both sides: some inputs parse, many are refused.
    expect(report.accepted).toBeGreaterThan(250);
    expect(Object.values(report.refused).reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
  });
});
