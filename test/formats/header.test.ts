import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commentaryCard, type HeaderCard, valueCard } from '../../src/formats/fits/card.js';
import { headerBytes, parseHeaderBlocks } from '../../src/formats/fits/header.js';
import { fitsBuffer, headerValue, parseFits } from '../../src/formats/index.js';

const where = { file: 'test.fits', hdu: 0 };

function roundTrip(cards: HeaderCard[]): readonly HeaderCard[] {
  const bytes = headerBytes(cards);
  const parsed = parseHeaderBlocks(bytes, where);
  if (!parsed) throw new Error('no END');
  return parsed.cards;
}

function images(cards: HeaderCard[]): string[] {
  const text = headerBytes(cards).toString('latin1');
  return Array.from({ length: text.length / 80 }, (_, i) => text.slice(i * 80, i * 80 + 80)).filter((s) =>
    s.trim(),
  );
}

describe('header cards', () => {
  it('writes fixed-format values: logicals and numbers right-justified to column 30, strings from column 11', () => {
    const lines = images([
      valueCard('SIMPLE', true, 'std'),
      valueCard('NAXIS', 2),
      valueCard('EXPTIME', 30.5, 's'),
      valueCard('OBJECT', 'M31'),
    ]);
    expect(lines[0]).toBe(`${'SIMPLE  =                    T / std'.padEnd(80)}`);
    expect(lines[1].slice(0, 30)).toBe('NAXIS   =                    2');
    expect(lines[2].slice(0, 30)).toBe('EXPTIME =                 30.5');
    // Strings are padded to at least 8 characters inside the quotes.
    expect(lines[3].slice(0, 20)).toBe("OBJECT  = 'M31     '");
    expect(lines[4]).toBe('END'.padEnd(80));
    expect(headerBytes([]).length).toBe(2880);
  });

  it('round-trips strings with quotes, leading spaces, empty strings and undefined values', () => {
    const cards = [
      valueCard('QUOTE', "it's a 'test'", 'quotes doubled'),
      valueCard('LEADING', '  indented'),
      valueCard('EMPTY', ''),
      valueCard('UNDEF', null, 'no value'),
      valueCard('FLAG', false),
    ];
    expect(roundTrip(cards)).toEqual(cards);
    expect(images([cards[0]])[0]).toContain("'it''s a ''test'''");
  });

  it('round-trips integers, big integers and exponent floats', () => {
    const cards = [
      valueCard('BIG', 9223372036854775807n),
      valueCard('NEG', -123456789012),
      valueCard('TINY', 1.5e-300),
      valueCard('HUGE', -6.02e23),
      valueCard('PI', Math.PI),
    ];
    const back = roundTrip(cards);
    expect(back).toEqual(cards);
    expect(images([cards[2]])[0].slice(10, 30).trim()).toBe('1.5E-300');
  });

  it('parses D exponents and free-format values written by other software', () => {
    const text = [
      'DEXP    =             1.25D+02 / fortran style',
      "FREE    = 'abc'   / free format",
      'INTFREE =  42',
    ]
      .map((s) => s.padEnd(80))
      .join('');
    const parsed = parseHeaderBlocks(Buffer.from((text + 'END'.padEnd(80)).padEnd(2880), 'latin1'), where);
    expect(parsed?.cards).toEqual([
      valueCard('DEXP', 125, 'fortran style'),
      valueCard('FREE', 'abc', 'free format'),
      valueCard('INTFREE', 42),
    ]);
  });

  it('writes long strings with CONTINUE and & and reads them back as one card', () => {
    const long = 'a'.repeat(100) + "'quoted'" + 'b'.repeat(100);
    const card = valueCard('LONGSTR', long, 'short comment');
    const lines = images([card]);
    expect(lines.length).toBe(5); // 4 card images + END
    expect(lines[1].startsWith("CONTINUE  '")).toBe(true);
    expect(lines[0]).toMatch(/&'\s*$/);
    expect(roundTrip([card])).toEqual([card]);
  });

  it('keeps long comments of string cards on CONTINUE cards and cuts those of numeric cards to fit', () => {
    const comment = 'words of a rather long comment '.repeat(6).trim();
    const stringCard = valueCard('FILTER', 'r', comment);
    expect(roundTrip([stringCard])).toEqual([stringCard]);
    const numeric = roundTrip([valueCard('GAIN', 1.5, comment)])[0];
    expect(numeric.kind === 'value' && numeric.comment).toBe(comment.slice(0, 80 - 33));
  });

  it('uses HIERARCH for long or spaced keywords', () => {
    const cards = [valueCard('ESO DET CHIP TEMP', -120.5, 'K'), valueCard('averyveryverylongname', 'x')];
    const lines = images(cards);
    expect(lines[0].startsWith('HIERARCH ESO DET CHIP TEMP = -120.5 / K')).toBe(true);
    expect(roundTrip(cards)).toEqual(cards);
    expect(headerValue(roundTrip(cards), 'HIERARCH ESO DET CHIP TEMP')).toBe(-120.5);
  });

  it('splits long COMMENT/HISTORY text over several cards', () => {
    const text = 'x'.repeat(100);
    const back = roundTrip([commentaryCard('HISTORY', text), commentaryCard('COMMENT', 'short')]);
    expect(back).toEqual([
      commentaryCard('HISTORY', 'x'.repeat(72)),
      commentaryCard('HISTORY', 'x'.repeat(28)),
      commentaryCard('COMMENT', 'short'),
    ]);
  });

  it('keeps complex values verbatim', () => {
    const text = `${'CPLX    = (1.5, -2.0) / complex'.padEnd(80)}${'END'.padEnd(80)}`.padEnd(2880);
    const cards = parseHeaderBlocks(Buffer.from(text, 'latin1'), where)?.cards ?? [];
    expect(cards[0]).toEqual({ kind: 'unparsed', keyword: 'CPLX', text: '= (1.5, -2.0) / complex' });
    expect(headerBytes(cards).toString('latin1')).toBe(text);
  });

  it('rejects values that cannot be written', () => {
    expect(() => headerBytes([valueCard('BAD', Number.NaN)])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => headerBytes([valueCard('BAD', 'é')])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('drops structural keywords from user cards, so a read header can be written back', async () => {
    const first = fitsBuffer([
      { kind: 'image', data: new Int16Array(4), shape: [2, 2], cards: [valueCard('A', 1)] },
    ]);
    const header = (await parseFits(first)).hdus[0].header;
    const second = fitsBuffer([{ kind: 'image', data: new Int16Array(4), shape: [2, 2], cards: header }]);
    expect(second.equals(first)).toBe(true);
  });
});

describe('header cards, property-based', () => {
  const printable = fc
    .array(fc.integer({ min: 0x20, max: 0x7e }), { maxLength: 150 })
    .map((codes) => String.fromCharCode(...codes));
  const word = fc.stringMatching(/^[A-Za-z0-9.,()'&=/:-]{1,12}$/);
  // Readers trim comments, and continued comments are re-joined with one space: words separated by single spaces.
  const comment = (maxWords: number) =>
    fc.array(word, { maxLength: maxWords }).map((words) => words.join(' '));
  const keyword = fc
    .stringMatching(/^[A-Z][A-Z0-9_-]{0,7}$/)
    .filter((k) => !['COMMENT', 'HISTORY', 'CONTINUE', 'END', 'HIERARCH'].includes(k));
  const bigBeyondDoubles = fc.oneof(
    fc.bigInt({ min: -(2n ** 63n), max: -(2n ** 53n) - 1n }),
    fc.bigInt({ min: 2n ** 53n + 1n, max: 2n ** 63n - 1n }),
  );
  const scalar = fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    bigBeyondDoubles,
  );

  it('string cards of any length and comment survive write and read', () => {
    fc.assert(
      fc.property(
        keyword,
        printable.map((s) => s.replace(/ +$/, '')),
        comment(30),
        (k, value, text) => {
          const card = valueCard(k, value, text);
          expect(roundTrip([card, valueCard('NEXT', 1)])).toEqual([card, valueCard('NEXT', 1)]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('numeric, logical and undefined cards survive write and read', () => {
    fc.assert(
      fc.property(keyword, scalar, comment(3), (k, value, text) => {
        const card = valueCard(k, value, text);
        expect(roundTrip([card])).toEqual([card]);
      }),
      { numRuns: 300 },
    );
  });
});
