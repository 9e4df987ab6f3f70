/**
 * Reading a quantum graph file (layout.ts). `openQuantumGraph` checks the preamble and footer and loads the small
 * sections (header, pipeline, tables, init quanta, thin graph, indexes); a quantum is then one positioned read of
 * its page. Anything unexpected — wrong magic, a newer version, a missing footer, a CRC mismatch, JSON that does
 * not inflate or parse — is QGRAPH_INVALID saying what was wrong.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { crc32, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import type { DimensionUniverse } from '../../butler/index.js';
import { isMeridianError, meridianError } from '../../errors.js';
import type {
  PredictedInitQuantum,
  PredictedQuantum,
  QuantumGraph,
  QuantumGraphHeader,
  QuantumGraphSource,
  ResolvedPipeline,
} from '../model.js';
import { initQuantumFromJSON, type PredictedInitQuantumJSON } from '../quantum-json.js';
import { corrupt, DecodingTables, type EncodedQuantum, type EncodingTablesJSON } from './encoding.js';
import {
  ADDRESS_ENTRY_BYTES,
  FOOTER_TAIL_BYTES,
  PAGE_ENTRY_BYTES,
  PREAMBLE_BYTES,
  QGRAPH_FORMAT_VERSION,
  QGRAPH_MAGIC,
  READ_COALESCE_BYTES,
  readUInt64,
  SECTION_ENTRY_BYTES,
  SECTIONS,
  type SectionEntry,
} from './layout.js';
import type { ThinGraphJSON } from './writer.js';

const headerSchema = z
  .object({
    formatVersion: z.number().int(),
    graphId: z.string(),
    created: z.string(),
    user: z.string(),
    command: z.string(),
    inputCollections: z.array(z.string()),
    outputRun: z.string(),
    output: z.string().nullable(),
    dataQuery: z.string(),
    universe: z.string(),
    nQuanta: z.number().int().nonnegative(),
    nDatasets: z.number().int().nonnegative(),
    taskQuanta: z.record(z.string(), z.number().int().nonnegative()),
  })
  .passthrough();

const thinSchema = z.object({
  labels: z.array(z.string()),
  quanta: z.array(z.array(z.union([z.string(), z.number()]))),
  edges: z.array(z.number().int().nonnegative()),
});

interface ThinQuantum {
  readonly id: string;
  readonly label: string;
  readonly dataId: Readonly<Record<string, string | number>>;
}

/** Pages kept decoded after a read (a job reading quanta of one page in turn reads it once). */
const PAGE_CACHE_SIZE = 4;

class FileGraphSource implements QuantumGraphSource {
  private readonly ordinals = new Map<string, number>();
  private readonly pageCache = new Map<number, EncodedQuantum[]>();
  private thin: ThinQuantum[] | null = null;
  private edgePairs: [string, string][] | null = null;
  private closed = false;

  constructor(
    private readonly fh: FileHandle,
    private readonly path: string,
    readonly header: QuantumGraphHeader,
    readonly pipeline: ResolvedPipeline,
    readonly initQuanta: readonly PredictedInitQuantum[],
    private readonly thinJson: ThinGraphJSON,
    private readonly pages: Buffer,
    private readonly addresses: Buffer,
    private readonly tables: DecodingTables,
  ) {
    for (const [i, q] of thinJson.quanta.entries()) this.ordinals.set(q[0] as string, i);
    if (addresses.length !== thinJson.quanta.length * ADDRESS_ENTRY_BYTES) {
      throw corrupt(
        `the address index has room for ${addresses.length / ADDRESS_ENTRY_BYTES} quanta, not ${thinJson.quanta.length}`,
      );
    }
  }

  thinQuanta(): readonly ThinQuantum[] {
    if (this.thin === null) {
      this.thin = this.thinJson.quanta.map((q) => {
        const label = this.thinJson.labels[q[1] as number];
        if (typeof q[0] !== 'string' || label === undefined) throw corrupt('a thin-graph entry is malformed');
        const values = this.tables.decodeValues(this.tables.groupAt(q[2] as number), q, 3);
        return Object.freeze({ id: q[0], label, dataId: Object.freeze(values) });
      });
    }
    return this.thin;
  }

  edges(): readonly (readonly [string, string])[] {
    if (this.edgePairs === null) {
      const e = this.thinJson.edges;
      const q = this.thinJson.quanta;
      const pairs: [string, string][] = [];
      for (let i = 0; i + 1 < e.length; i += 2) {
        const a = q[e[i]!]?.[0];
        const b = q[e[i + 1]!]?.[0];
        if (typeof a !== 'string' || typeof b !== 'string')
          throw corrupt('an edge names a quantum that does not exist');
        pairs.push([a, b]);
      }
      this.edgePairs = pairs;
    }
    return this.edgePairs;
  }

  async readQuantum(id: string): Promise<PredictedQuantum> {
    return (await this.readQuanta([id]))[0]!;
  }

  async readQuanta(ids: readonly string[]): Promise<PredictedQuantum[]> {
    if (this.closed) throw meridianError('INVALID_ARGUMENT', `the quantum graph ${this.path} is closed`);
    const where = ids.map((id) => {
      const ordinal = this.ordinals.get(id.toLowerCase()) ?? this.ordinals.get(id);
      if (ordinal === undefined) {
        throw meridianError('INVALID_ARGUMENT', `no quantum ${id} in the graph ${this.header.graphId}`, {
          id,
        });
      }
      const at = ordinal * ADDRESS_ENTRY_BYTES;
      return { id, page: this.addresses.readUInt32BE(at), slot: this.addresses.readUInt32BE(at + 4) };
    });
    const pages = await this.loadPages([...new Set(where.map((w) => w.page))]);
    return where.map(({ id, page, slot }) => {
      const encoded = pages.get(page)![slot];
      if (encoded === undefined || encoded.id !== id.toLowerCase()) {
        throw corrupt(`the address of quantum ${id} points at another quantum`, { id });
      }
      return this.tables.decodeQuantum(encoded);
    });
  }

  /** Read pages, merging reads of pages that lie close together in the file. */
  private async loadPages(numbers: number[]): Promise<Map<number, EncodedQuantum[]>> {
    const out = new Map<number, EncodedQuantum[]>();
    const missing: { n: number; entry: SectionEntry }[] = [];
    for (const n of numbers) {
      const cached = this.pageCache.get(n);
      if (cached !== undefined) out.set(n, cached);
      else missing.push({ n, entry: this.pageEntry(n) });
    }
    missing.sort((a, b) => a.entry.offset - b.entry.offset);
    let i = 0;
    while (i < missing.length) {
      const start = missing[i]!.entry.offset;
      let j = i;
      while (
        j + 1 < missing.length &&
        missing[j + 1]!.entry.offset + missing[j + 1]!.entry.length - start <= READ_COALESCE_BYTES
      )
        j++;
      const end = missing[j]!.entry.offset + missing[j]!.entry.length;
      const buf = await readExactly(this.fh, start, end - start, `page ${missing[i]!.n}`);
      for (let k = i; k <= j; k++) {
        const { n, entry } = missing[k]!;
        const data = buf.subarray(entry.offset - start, entry.offset - start + entry.length);
        const quanta = parseBlock(data, entry.crc, `page ${n}`);
        if (!Array.isArray(quanta)) throw corrupt(`page ${n} is not a list of quanta`);
        out.set(n, quanta as EncodedQuantum[]);
        this.remember(n, quanta as EncodedQuantum[]);
      }
      i = j + 1;
    }
    return out;
  }

  private remember(n: number, quanta: EncodedQuantum[]): void {
    this.pageCache.set(n, quanta);
    if (this.pageCache.size > PAGE_CACHE_SIZE) this.pageCache.delete(this.pageCache.keys().next().value!);
  }

  private pageEntry(n: number): SectionEntry {
    const at = n * PAGE_ENTRY_BYTES;
    if (at + PAGE_ENTRY_BYTES > this.pages.length) throw corrupt(`page ${n} is not in the page index`);
    return {
      offset: readUInt64(this.pages, at),
      length: this.pages.readUInt32BE(at + 8),
      crc: this.pages.readUInt32BE(at + 12),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

async function readExactly(fh: FileHandle, position: number, length: number, what: string): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) throw corrupt(`${what} lies beyond the end of the file (truncated?)`);
    got += bytesRead;
  }
  return buf;
}

function parseBlock(data: Buffer, crc: number, what: string): unknown {
  if (crc32(data) !== crc) throw corrupt(`${what} fails its CRC-32 check`, { block: what });
  let text: string;
  try {
    text = inflateRawSync(data).toString('utf8');
  } catch {
    throw corrupt(`${what} does not decompress`, { block: what });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw corrupt(`${what} is not valid JSON`, { block: what });
  }
}

function checkShape<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw corrupt(`the ${what} section is malformed at ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Open a graph file for reading quanta on demand. The caller closes it (`close()`, or `await using`).
 * QGRAPH_INVALID when the file is not a graph, is of a newer format, is truncated or corrupt, or was built
 * against another dimension universe.
 */
export async function openQuantumGraph(
  path: string,
  universe: DimensionUniverse,
): Promise<QuantumGraphSource & AsyncDisposable> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw meridianError(
      code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'INVALID_ARGUMENT',
      `cannot open the quantum graph file ${path}: ${code ?? 'error'}`,
      { path },
    );
  }
  try {
    return await readSections(fh, path, universe);
  } catch (err) {
    await fh.close().catch(() => {});
    if (isMeridianError(err, 'QGRAPH_INVALID')) {
      throw meridianError('QGRAPH_INVALID', `${path}: ${err.message}`, { ...err.details, path });
    }
    throw err;
  }
}

async function readSections(
  fh: FileHandle,
  path: string,
  universe: DimensionUniverse,
): Promise<FileGraphSource> {
  const size = (await fh.stat()).size;
  if (size < PREAMBLE_BYTES) {
    throw meridianError('QGRAPH_INVALID', `not a quantum graph file: only ${size} bytes long`);
  }
  const pre = await readExactly(fh, 0, PREAMBLE_BYTES, 'the preamble');
  if (!pre.subarray(0, QGRAPH_MAGIC.length).equals(QGRAPH_MAGIC)) {
    throw meridianError('QGRAPH_INVALID', 'not a Meridian quantum graph file (wrong magic bytes)');
  }
  const version = pre.readUInt32BE(8);
  if (version > QGRAPH_FORMAT_VERSION) {
    throw meridianError(
      'QGRAPH_INVALID',
      `the quantum graph file has format version ${version}; this Meridian reads versions up to ${QGRAPH_FORMAT_VERSION}`,
      { version },
    );
  }
  if (version < 1)
    throw meridianError('QGRAPH_INVALID', `the quantum graph file has format version ${version}`);
  const truncated = () =>
    meridianError(
      'QGRAPH_INVALID',
      'the quantum graph file has no index at its end: it was truncated or never finished writing',
    );
  if (size < PREAMBLE_BYTES + FOOTER_TAIL_BYTES) throw truncated();
  const tail = await readExactly(fh, size - FOOTER_TAIL_BYTES, FOOTER_TAIL_BYTES, 'the footer');
  if (!tail.subarray(8).equals(QGRAPH_MAGIC)) throw truncated();
  const count = tail.readUInt32BE(0);
  const tableBytes = count * SECTION_ENTRY_BYTES;
  if (count < SECTIONS.length || PREAMBLE_BYTES + tableBytes + FOOTER_TAIL_BYTES > size) {
    throw corrupt(`the footer lists ${count} sections`);
  }
  const table = await readExactly(fh, size - FOOTER_TAIL_BYTES - tableBytes, tableBytes, 'the section table');
  if (crc32(table) !== tail.readUInt32BE(4)) throw corrupt('the section table fails its CRC-32 check');
  const sectionEnd = size - FOOTER_TAIL_BYTES - tableBytes;
  const raw = new Map<string, Buffer>();
  for (const [i, name] of SECTIONS.entries()) {
    const at = i * SECTION_ENTRY_BYTES;
    const entry = {
      offset: readUInt64(table, at),
      length: table.readUInt32BE(at + 8),
      crc: table.readUInt32BE(at + 12),
    };
    if (entry.offset < PREAMBLE_BYTES || entry.offset + entry.length > sectionEnd) {
      throw corrupt(`the ${name} section lies outside the file`);
    }
    const data = await readExactly(fh, entry.offset, entry.length, `the ${name} section`);
    if (crc32(data) !== entry.crc)
      throw corrupt(`the ${name} section fails its CRC-32 check`, { block: name });
    try {
      raw.set(name, inflateRawSync(data));
    } catch {
      throw corrupt(`the ${name} section does not decompress`, { block: name });
    }
  }
  const parse = (name: string): unknown => {
    try {
      return JSON.parse(raw.get(name)!.toString('utf8'));
    } catch {
      throw corrupt(`the ${name} section is not valid JSON`, { block: name });
    }
  };
  const header = checkShape(headerSchema, parse('header'), 'header') as QuantumGraphHeader;
  const expectedUniverse = `${universe.namespace}:${universe.version}`;
  if (header.universe !== expectedUniverse) {
    throw meridianError(
      'QGRAPH_INVALID',
      `the graph was built with dimension universe ${header.universe}, not this repository's ${expectedUniverse}`,
      { universe: header.universe },
    );
  }
  const pipeline = parse('pipeline') as ResolvedPipeline;
  if (!Array.isArray(pipeline?.tasks)) throw corrupt('the pipeline section has no tasks');
  const tablesJson = parse('tables') as EncodingTablesJSON;
  const thin = checkShape(thinSchema, parse('thinGraph'), 'thin graph');
  let tables: DecodingTables;
  let initQuanta: PredictedInitQuantum[];
  try {
    tables = new DecodingTables(universe, tablesJson);
    initQuanta = (parse('initQuanta') as PredictedInitQuantumJSON[]).map((q) =>
      initQuantumFromJSON(q, universe),
    );
  } catch (err) {
    if (isMeridianError(err, 'QGRAPH_INVALID')) throw err;
    throw corrupt(`its tables do not fit the dimension universe: ${(err as Error).message}`);
  }
  return new FileGraphSource(
    fh,
    path,
    Object.freeze(header),
    pipeline,
    Object.freeze(initQuanta),
    thin,
    raw.get('pages')!,
    raw.get('addresses')!,
    tables,
  );
}

/** Read a whole graph file into memory (tests, small graphs, `pipetask qgraph` re-display). */
export async function readQuantumGraph(path: string, universe: DimensionUniverse): Promise<QuantumGraph> {
  const source = await openQuantumGraph(path, universe);
  try {
    const quanta = await source.readQuanta(source.thinQuanta().map((q) => q.id));
    return Object.freeze({
      header: source.header,
      pipeline: source.pipeline,
      initQuanta: source.initQuanta,
      quanta: Object.freeze(quanta),
    });
  } finally {
    await source.close();
  }
}
