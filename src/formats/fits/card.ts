/**
 * One FITS header card: the 80-character record of FITS 4.0 section 4 (keyword, value indicator, value, comment).
 * This file turns one logical card into its 80-character image(s) and parses one image back. Long strings
 * (the CONTINUE convention, FITS 4.0 section 4.2.1.2) and HIERARCH keywords (ESO convention) are handled here;
 * joining CONTINUE images into one logical card on read is done by `header.ts`, which sees the card sequence.
 */

import { meridianError } from '../../errors.js';

export type CardValue = string | number | bigint | boolean | null;

/** A keyword with a value (`KEYWORD = value / comment`). `null` is the FITS "undefined value" (blank field). */
export interface ValueCard {
  readonly kind: 'value';
  readonly keyword: string;
  readonly value: CardValue;
  readonly comment: string;
}

/** COMMENT, HISTORY, blank-keyword and any other card without the `= ` value indicator: free text in columns 9-80. */
export interface CommentaryCard {
  readonly kind: 'commentary';
  readonly keyword: string;
  readonly text: string;
}

/**
 * A value card whose value Meridian does not interpret (complex numbers such as `(1.0, 2.0)`). `text` holds
 * columns 9-80 verbatim so that writing it back reproduces the card exactly.
 */
export interface UnparsedCard {
  readonly kind: 'unparsed';
  readonly keyword: string;
  readonly text: string;
}

export type HeaderCard = ValueCard | CommentaryCard | UnparsedCard;

export const CARD_LENGTH = 80;
const STANDARD_KEYWORD = /^[A-Z0-9_-]{1,8}$/;
const INTEGER = /^[+-]?\d+$/;
const REAL = /^[+-]?(\d+\.?\d*|\.\d+)([EeDd][+-]?\d+)?$/;
/** Room for a string chunk on a CONTINUE card: 80 - 10 (keyword + 2) - 2 quotes - 1 ampersand. */
const CONTINUE_CHUNK = 67;

export function valueCard(keyword: string, value: CardValue, comment = ''): ValueCard {
  return Object.freeze({ kind: 'value', keyword, value, comment });
}

export function commentaryCard(keyword: 'COMMENT' | 'HISTORY' | '', text: string): CommentaryCard {
  return Object.freeze({ kind: 'commentary', keyword, text });
}

/** Standard keywords are stored upper-case; anything longer than 8 characters or with other characters is HIERARCH. */
export function normaliseKeyword(keyword: string): string {
  const upper = keyword.toUpperCase();
  if (STANDARD_KEYWORD.test(upper)) return upper;
  // `HIERARCH A B` and `A B` name the same keyword; the prefix is the card syntax, not part of the name.
  return keyword
    .trim()
    .replace(/\s+/g, ' ')
    .replace(/^HIERARCH /i, '');
}

export function isStandardKeyword(keyword: string): boolean {
  return STANDARD_KEYWORD.test(keyword);
}

// ---- formatting --------------------------------------------------------------------------------------------------

function invalid(message: string, details: Record<string, unknown>): never {
  throw meridianError('INVALID_ARGUMENT', message, details);
}

function checkPrintable(text: string, keyword: string): void {
  // FITS headers are restricted to printable ASCII, 0x20-0x7E (FITS 4.0 section 4.1.1).
  if (!/^[\x20-\x7e]*$/.test(text)) {
    invalid(`FITS card ${keyword}: text must be printable ASCII`, { keyword, text });
  }
}

/** Fixed-format real: always has a decimal point or an exponent, exponent letter `E` (FITS 4.0 section 4.2.4). */
export function formatReal(value: number, keyword: string): string {
  if (!Number.isFinite(value))
    invalid(`FITS card ${keyword}: ${value} cannot be written in a header`, { keyword });
  const text = String(value).toUpperCase();
  const [mantissa, exponent] = text.split('E');
  const withPoint = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
  return exponent === undefined ? withPoint : `${withPoint}E${exponent}`;
}

function formatScalar(value: Exclude<CardValue, string>, keyword: string): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'T' : 'F';
  if (typeof value === 'bigint') return value.toString();
  // Integers beyond 2^53 are written as reals: as integers they would claim a precision the number does not have.
  return Number.isSafeInteger(value) ? value.toFixed(0) : formatReal(value, keyword);
}

function quote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function pad(text: string): string {
  return text.padEnd(CARD_LENGTH, ' ');
}

function withComment(head: string, comment: string): string {
  if (comment === '') return pad(head);
  // Non-string cards cannot carry a comment longer than the card; it is cut to fit (as astropy does, with a warning).
  return pad(`${head} / ${comment}`.slice(0, CARD_LENGTH));
}

/** Split a string value into chunks whose quoted form fits a CONTINUE card, never splitting a doubled quote. */
function chunkString(value: string, room: number): string[] {
  const chunks: string[] = [];
  let current = '';
  let used = 0;
  for (const ch of value) {
    const cost = ch === "'" ? 2 : 1;
    if (used + cost > room) {
      chunks.push(current);
      current = '';
      used = 0;
    }
    current += ch;
    used += cost;
  }
  chunks.push(current);
  return chunks;
}

/** Split a comment at spaces into pieces of at most `room` characters; the reader joins them with one space. */
function chunkComment(comment: string, room: number): string[] {
  const pieces: string[] = [];
  let rest = comment;
  while (rest.length > room) {
    let cut = rest.lastIndexOf(' ', room);
    if (cut <= 0) cut = room;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^ /, '');
  }
  pieces.push(rest);
  return pieces;
}

function formatLongString(keyword: string, value: string, comment: string): string[] {
  const chunks = chunkString(value, CONTINUE_CHUNK);
  const images: string[] = [];
  chunks.forEach((chunk, i) => {
    const head = i === 0 ? `${keyword.padEnd(8)}= ` : 'CONTINUE  ';
    const last = i === chunks.length - 1;
    images.push(`${head}${quote(last ? chunk : `${chunk}&`)}`);
  });
  if (comment === '') return images.map(pad);
  const lastImage = images[images.length - 1];
  if (lastImage.length + 3 + comment.length <= CARD_LENGTH) {
    images[images.length - 1] = `${lastImage} / ${comment}`;
    return images.map(pad);
  }
  // The comment goes on extra CONTINUE cards holding an empty string piece: `CONTINUE  '&' / words`.
  images[images.length - 1] = lastImage.replace(/'$/, "&'");
  const pieces = chunkComment(comment, CARD_LENGTH - 16);
  pieces.forEach((piece, i) => {
    const last = i === pieces.length - 1;
    images.push(`CONTINUE  ${last ? "''" : "'&'"} / ${piece}`);
  });
  return images.map(pad);
}

function formatHierarch(card: ValueCard): string {
  const value = typeof card.value === 'string' ? quote(card.value) : formatScalar(card.value, card.keyword);
  const head = `HIERARCH ${card.keyword} = ${value}`;
  if (head.length > CARD_LENGTH) {
    invalid(`FITS card HIERARCH ${card.keyword}: keyword and value do not fit in 80 characters`, {
      keyword: card.keyword,
    });
  }
  return withComment(head, card.comment);
}

/** The 80-character image(s) of one logical card: several for long strings (CONTINUE) and long commentary. */
export function formatCard(card: HeaderCard): string[] {
  const keyword = normaliseKeyword(card.keyword);
  if (card.kind === 'commentary' || card.kind === 'unparsed') {
    checkPrintable(card.text, keyword);
    if (!isStandardKeyword(keyword) && keyword !== '')
      invalid(`FITS commentary keyword "${keyword}" is invalid`, {});
    if (card.kind === 'unparsed') return [pad(`${keyword.padEnd(8)}${card.text}`.slice(0, CARD_LENGTH))];
    const room = CARD_LENGTH - 8;
    const images: string[] = [];
    for (let i = 0; i === 0 || i < card.text.length; i += room) {
      images.push(pad(`${keyword.padEnd(8)}${card.text.slice(i, i + room)}`));
    }
    return images;
  }
  checkPrintable(keyword, keyword);
  checkPrintable(card.comment, keyword);
  if (!isStandardKeyword(keyword)) {
    if (keyword.includes('=') || keyword === '') invalid(`FITS keyword "${keyword}" cannot be written`, {});
    if (typeof card.value === 'string') checkPrintable(card.value, keyword);
    return [formatHierarch({ ...card, keyword })];
  }
  if (typeof card.value === 'string') {
    checkPrintable(card.value, keyword);
    // Fixed format: the opening quote in column 11 and the closing quote no earlier than column 20. The value field
    // is then padded to 20 characters as cfitsio and astropy do: astropy verifies CHECKSUM by re-formatting the
    // CHECKSUM card itself, so any other layout of that card makes astropy report a (false) checksum failure.
    const quoted = `'${card.value.replace(/'/g, "''").padEnd(8, ' ')}'`.padEnd(20, ' ');
    const head = `${keyword.padEnd(8)}= ${quoted}`;
    const fits =
      head.length <= CARD_LENGTH && (card.comment === '' || head.length + 3 + card.comment.length <= 80);
    return fits ? [withComment(head, card.comment)] : formatLongString(keyword, card.value, card.comment);
  }
  // Fixed format: logical, integer and real values right-justified to column 30.
  const head = `${keyword.padEnd(8)}= ${formatScalar(card.value, keyword).padStart(20, ' ')}`;
  return [withComment(head, card.comment)];
}

// ---- parsing -----------------------------------------------------------------------------------------------------

/** Parse a free-format value field (columns 11-80, or after `=` for HIERARCH): value and comment. */
export function parseValueField(field: string): { value: CardValue; comment: string } | undefined {
  let i = 0;
  while (i < field.length && field[i] === ' ') i++;
  if (field[i] === "'") {
    let text = '';
    let j = i + 1;
    for (;;) {
      if (j >= field.length) return undefined; // no closing quote
      if (field[j] === "'") {
        if (field[j + 1] === "'") {
          text += "'";
          j += 2;
          continue;
        }
        break;
      }
      text += field[j];
      j++;
    }
    // Trailing spaces inside a string are not significant, leading ones are (FITS 4.0 section 4.2.1.1).
    return { value: text.replace(/ +$/, ''), comment: commentAfter(field.slice(j + 1)) };
  }
  const slash = field.indexOf('/', i);
  const token = (slash < 0 ? field.slice(i) : field.slice(i, slash)).trim();
  const comment = slash < 0 ? '' : field.slice(slash + 1).trim();
  if (token === '') return { value: null, comment };
  if (token === 'T' || token === 'F') return { value: token === 'T', comment };
  if (INTEGER.test(token)) {
    const big = BigInt(token);
    const safe = big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER);
    return { value: safe ? Number(big) : big, comment };
  }
  if (REAL.test(token)) return { value: Number(token.replace(/[Dd]/, 'E')), comment };
  return undefined;
}

function commentAfter(rest: string): string {
  const slash = rest.indexOf('/');
  return slash < 0 ? '' : rest.slice(slash + 1).trim();
}

/**
 * Parse one 80-character card image. Returns `undefined` for a value field that cannot be parsed as a FITS value
 * of a supported type; the caller decides whether that is an error (it keeps complex values as `unparsed`).
 */
export function parseCardImage(image: string): HeaderCard | { kind: 'bad'; keyword: string } {
  const keyword = image.slice(0, 8).trimEnd();
  if (keyword === 'HIERARCH') {
    const eq = image.indexOf('=', 8);
    if (eq < 0) return { kind: 'commentary', keyword, text: image.slice(8).trimEnd() };
    const name = image.slice(9, eq).trim().replace(/\s+/g, ' ');
    const parsed = parseValueField(image.slice(eq + 1));
    return parsed ? valueCard(name, parsed.value, parsed.comment) : { kind: 'bad', keyword: name };
  }
  if (image.slice(8, 10) !== '= ' || keyword === 'COMMENT' || keyword === 'HISTORY' || keyword === '') {
    return { kind: 'commentary', keyword, text: image.slice(8).trimEnd() };
  }
  const field = image.slice(10);
  const parsed = parseValueField(field);
  if (parsed) return valueCard(keyword, parsed.value, parsed.comment);
  if (field.trimStart().startsWith('(')) return { kind: 'unparsed', keyword, text: image.slice(8).trimEnd() };
  return { kind: 'bad', keyword };
}
