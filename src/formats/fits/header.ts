/**
 * A FITS header: the ordered sequence of logical cards of one HDU, parsed from and written to 2880-byte blocks.
 * Lookups are plain functions over the frozen card array, so a header stays serialisable data.
 */

import { meridianError } from '../../errors.js';
import {
  CARD_LENGTH,
  type CardValue,
  formatCard,
  type HeaderCard,
  normaliseKeyword,
  parseCardImage,
  parseValueField,
  type ValueCard,
  valueCard,
} from './card.js';

export type FitsHeader = readonly HeaderCard[];

export const BLOCK_SIZE = 2880;
const CARDS_PER_BLOCK = BLOCK_SIZE / CARD_LENGTH;

/** Where a header or data problem was found; every FITS_INVALID message names the file and the HDU. */
export interface FitsLocation {
  readonly file: string;
  readonly hdu: number;
}

export function fitsInvalid(
  where: FitsLocation,
  message: string,
  details: Record<string, unknown> = {},
): Error {
  return meridianError('FITS_INVALID', `${where.file}, HDU ${where.hdu}: ${message}`, {
    file: where.file,
    hdu: where.hdu,
    ...details,
  });
}

export function paddedSize(bytes: number): number {
  return Math.ceil(bytes / BLOCK_SIZE) * BLOCK_SIZE;
}

/**
 * Result of scanning header blocks: `undefined` while END has not been seen in the bytes given so far (the caller
 * reads another block), else the cards and the header length in bytes (a multiple of 2880).
 */
export function parseHeaderBlocks(
  bytes: Uint8Array,
  where: FitsLocation,
): { cards: FitsHeader; byteLength: number } | undefined {
  const images: string[] = [];
  const cardCount = Math.floor(bytes.length / CARD_LENGTH);
  for (let c = 0; c < cardCount; c++) {
    const start = c * CARD_LENGTH;
    for (let b = start; b < start + CARD_LENGTH; b++) {
      const byte = bytes[b];
      if (byte < 0x20 || byte > 0x7e) {
        throw fitsInvalid(where, `header card ${c + 1} contains a non-ASCII byte 0x${byte.toString(16)}`, {
          card: c + 1,
        });
      }
    }
    const image = Buffer.from(bytes.buffer, bytes.byteOffset + start, CARD_LENGTH).toString('latin1');
    if (image.startsWith('END') && image.slice(3).trim() === '') {
      return {
        cards: joinCards(images, where),
        byteLength: (Math.floor(c / CARDS_PER_BLOCK) + 1) * BLOCK_SIZE,
      };
    }
    images.push(image);
  }
  return undefined;
}

/** Turn card images into logical cards, joining long strings continued on CONTINUE cards. */
function joinCards(images: string[], where: FitsLocation): FitsHeader {
  const cards: HeaderCard[] = [];
  for (let i = 0; i < images.length; i++) {
    const parsed = parseCardImage(images[i]);
    if (parsed.kind === 'bad') {
      throw fitsInvalid(where, `card ${i + 1} (${parsed.keyword}) has a value that cannot be parsed`, {
        card: i + 1,
        image: images[i],
      });
    }
    if (parsed.kind !== 'value' || typeof parsed.value !== 'string') {
      cards.push(parsed);
      continue;
    }
    let value = parsed.value;
    const comments = parsed.comment === '' ? [] : [parsed.comment];
    while (value.endsWith('&') && images[i + 1]?.startsWith('CONTINUE')) {
      const piece = parseValueField(images[i + 1].slice(8));
      if (!piece || typeof piece.value !== 'string') break;
      i++;
      value = value.slice(0, -1) + piece.value;
      if (piece.comment !== '') comments.push(piece.comment);
    }
    cards.push(valueCard(parsed.keyword, value, comments.join(' ')));
  }
  return Object.freeze(cards);
}

/** Card images of a header, END card and space padding to a whole number of blocks. */
export function headerBytes(cards: FitsHeader): Buffer {
  const text = cards.flatMap(formatCard).join('') + 'END'.padEnd(CARD_LENGTH, ' ');
  return Buffer.from(text.padEnd(paddedSize(text.length), ' '), 'latin1');
}

// ---- lookups -----------------------------------------------------------------------------------------------------

export function findCard(header: FitsHeader, keyword: string): ValueCard | undefined {
  const key = normaliseKeyword(keyword);
  for (const card of header) if (card.kind === 'value' && card.keyword === key) return card;
  return undefined;
}

export function headerValue(header: FitsHeader, keyword: string): CardValue | undefined {
  return findCard(header, keyword)?.value;
}

export function headerNumber(header: FitsHeader, keyword: string): number | undefined {
  const value = headerValue(header, keyword);
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

export function headerString(header: FitsHeader, keyword: string): string | undefined {
  const value = headerValue(header, keyword);
  return typeof value === 'string' ? value : undefined;
}

/** A mandatory non-negative integer keyword (NAXISn, PCOUNT, ...); its absence makes the HDU invalid. */
export function requireInteger(header: FitsHeader, keyword: string, where: FitsLocation): number {
  const value = headerValue(header, keyword);
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    throw fitsInvalid(where, `mandatory keyword ${keyword} is missing or not an integer`, { keyword });
  }
  return n;
}
