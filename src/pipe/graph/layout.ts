/**
 * The byte layout of a Meridian quantum graph file (`.mqg`), format version 1:
 *
 *   preamble   16 bytes: magic `MRDN-QG\n` (8), format version (uint32 BE), reserved (uint32, 0)
 *   pages      quanta, a few dozen per page: each page is the deflate-compressed JSON array of its
 *              encoded quanta (encoding.ts); written while the graph is built, so no build holds every quantum
 *   sections   deflate-compressed, in this order: header, pipeline, tables (dataset types, runs, dimension
 *              groups, deduplicated dimension records), init quanta, thin graph (ids, labels, data ID values,
 *              edges as quantum ordinals), page index (binary), quantum addresses (binary)
 *   footer     the section table (per section: offset uint64, length uint32, CRC-32 uint32), the section count
 *              (uint32), the CRC-32 of the section table (uint32), and the magic again (8)
 *
 * A reader checks the preamble (wrong magic, newer version), then the footer (missing when the file was truncated
 * or never finished), then loads the sections; a quantum is one positioned read of its page (CRC-checked) and one
 * inflate. Every integer is big-endian. Older versions stay readable here when the format changes (STYLE 11).
 */

export const QGRAPH_MAGIC = Buffer.from('MRDN-QG\n', 'latin1');
export const QGRAPH_FORMAT_VERSION = 1;
export const PREAMBLE_BYTES = 16;

/** Section order in the footer table; a later version may append sections, never reorder them. */
export const SECTIONS = [
  'header',
  'pipeline',
  'tables',
  'initQuanta',
  'thinGraph',
  'pages',
  'addresses',
] as const;
export type SectionName = (typeof SECTIONS)[number];

export const SECTION_ENTRY_BYTES = 16;
/** Section count, table CRC, trailing magic. */
export const FOOTER_TAIL_BYTES = 4 + 4 + 8;

/** One page index entry: offset uint64 (as two uint32), length uint32, CRC-32 uint32. */
export const PAGE_ENTRY_BYTES = 16;
/** One quantum address: page number uint32, position in the page uint32. */
export const ADDRESS_ENTRY_BYTES = 8;

/** Start a new page once its JSON reaches this many bytes, or this many quanta. */
export const PAGE_TARGET_BYTES = 64 * 1024;
export const PAGE_MAX_QUANTA = 256;

/** Reads of pages close together are merged into one read of at most this many bytes. */
export const READ_COALESCE_BYTES = 4 * 1024 * 1024;

export interface SectionEntry {
  readonly offset: number;
  readonly length: number;
  readonly crc: number;
}

export function preamble(version = QGRAPH_FORMAT_VERSION): Buffer {
  const b = Buffer.alloc(PREAMBLE_BYTES);
  QGRAPH_MAGIC.copy(b, 0);
  b.writeUInt32BE(version, 8);
  return b;
}

export function writeUInt64(b: Buffer, value: number, at: number): void {
  b.writeUInt32BE(Math.floor(value / 2 ** 32), at);
  b.writeUInt32BE(value % 2 ** 32, at + 4);
}

export function readUInt64(b: Buffer, at: number): number {
  return b.readUInt32BE(at) * 2 ** 32 + b.readUInt32BE(at + 4);
}

export function footer(entries: readonly SectionEntry[], crc32: (b: Buffer) => number): Buffer {
  const table = Buffer.alloc(entries.length * SECTION_ENTRY_BYTES);
  entries.forEach((e, i) => {
    writeUInt64(table, e.offset, i * SECTION_ENTRY_BYTES);
    table.writeUInt32BE(e.length, i * SECTION_ENTRY_BYTES + 8);
    table.writeUInt32BE(e.crc, i * SECTION_ENTRY_BYTES + 12);
  });
  const tail = Buffer.alloc(FOOTER_TAIL_BYTES);
  tail.writeUInt32BE(entries.length, 0);
  tail.writeUInt32BE(crc32(table), 4);
  QGRAPH_MAGIC.copy(tail, 8);
  return Buffer.concat([table, tail]);
}
