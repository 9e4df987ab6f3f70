/**
 * Writing a quantum graph file (layout.ts): quanta are taken one at a time and packed into compressed pages as
 * they come, so a builder can stream a million quanta without holding them; the header, tables, thin graph and
 * indexes follow at `finish()`. The file is written under a temporary name next to the target and renamed into
 * place only when complete, so a crash never leaves a half-written graph under the real name.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { crc32, deflateRaw, deflateRawSync } from 'node:zlib';
import { DimensionUniverse } from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import type {
  PredictedInitQuantum,
  PredictedQuantum,
  QuantumGraph,
  QuantumGraphHeader,
  ResolvedPipeline,
} from '../model.js';
import { initQuantumToJSON } from '../quantum-json.js';
import { type EncodedDataId, type EncodedQuantum, EncodingTables } from './encoding.js';
import {
  ADDRESS_ENTRY_BYTES,
  footer,
  PAGE_ENTRY_BYTES,
  PAGE_MAX_QUANTA,
  PAGE_TARGET_BYTES,
  preamble,
  QGRAPH_FORMAT_VERSION,
  SECTIONS,
  type SectionEntry,
  type SectionName,
  writeUInt64,
} from './layout.js';

const deflateRawAsync = promisify(deflateRaw);

/** What the caller knows of the header before the quanta are written; the counts are filled in at the end. */
export type QuantumGraphHeaderInput = Omit<
  QuantumGraphHeader,
  'formatVersion' | 'nQuanta' | 'nDatasets' | 'taskQuanta'
>;

export interface QuantumGraphWriterOptions {
  readonly universe: DimensionUniverse;
  readonly header: QuantumGraphHeaderInput;
  readonly pipeline: ResolvedPipeline;
  /** zlib level, 1 to 9; default 1: pages are mostly random UUIDs, which higher levels hardly shrink. */
  readonly compressionLevel?: number;
}

/** The thin graph section as stored: per task, its quanta in writing order; edges as pairs of ordinals. */
export interface ThinGraphJSON {
  readonly labels: readonly string[];
  /** Per quantum, in file order: [id, label index, group index, ...encoded data ID]. */
  readonly quanta: readonly (readonly (string | number)[])[];
  /** Flat list: predecessor ordinal, successor ordinal, ... */
  readonly edges: readonly number[];
}

/** Pages being compressed at once before `add` waits (the compression runs on libuv's thread pool). */
const MAX_PENDING_PAGES = 4;

/**
 * Streams quanta into a graph file. Add quanta in a topological order (producers before their consumers, as
 * the builder emits them task by task), each once, reading only dataset types the pipeline's tasks read; `finish()` makes the file appear at its path, `abort()` (or disposal
 * without finish) removes the temporary file.
 */
export class QuantumGraphWriter {
  private readonly tables: EncodingTables;
  private readonly labels: string[];
  private readonly labelIndex: Map<string, number>;
  private readonly taskQuanta: Record<string, number> = {};
  private readonly thin: (string | number)[][] = [];
  /**
   * Dataset ID → ordinal of the quantum that writes it, kept only for dataset types some task reads (the rest
   * can never make an edge), so a million-quantum graph does not hold every metadata and log ID.
   */
  private readonly producers = new Map<string, number>();
  private readonly consumedTypes: ReadonlySet<string>;
  /** Inputs that exist before the graph runs (not written by a quantum), for the dataset count. */
  private readonly existingInputs = new Set<string>();
  private outputCount = 0;
  private readonly edges: number[] = [];
  private readonly pages: SectionEntry[] = [];
  private readonly addresses: number[] = [];
  private page: EncodedQuantum[] = [];
  private pageBytes = 0;
  private position: number;
  private writeChain: Promise<void> = Promise.resolve();
  private pending = 0;
  private initQuanta: readonly PredictedInitQuantum[] = [];
  private state: 'open' | 'finished' | 'aborted' = 'open';

  private constructor(
    private readonly fh: FileHandle,
    private readonly tempPath: string,
    private readonly finalPath: string,
    private readonly options: QuantumGraphWriterOptions,
  ) {
    this.tables = new EncodingTables(options.universe);
    this.labels = options.pipeline.tasks.map((t) => t.label);
    this.labelIndex = new Map(this.labels.map((l, i) => [l, i]));
    this.consumedTypes = new Set(
      options.pipeline.datasetTypes.filter((t) => t.consumers.length > 0).map((t) => t.name),
    );
    this.position = 0;
  }

  static async create(path: string, options: QuantumGraphWriterOptions): Promise<QuantumGraphWriter> {
    const tempPath = join(
      dirname(path),
      `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
    );
    let fh: FileHandle;
    try {
      fh = await open(tempPath, 'wx');
    } catch (err) {
      throw meridianError(
        'INVALID_ARGUMENT',
        `cannot write the quantum graph file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        { path },
        err,
      );
    }
    const writer = new QuantumGraphWriter(fh, tempPath, path, options);
    await writer.append(preamble(QGRAPH_FORMAT_VERSION));
    return writer;
  }

  /** The init quanta (one per task), written with the other sections at `finish()`. */
  setInitQuanta(initQuanta: readonly PredictedInitQuantum[]): void {
    this.initQuanta = initQuanta;
  }

  /** Add one quantum (its producers must have been added before it). */
  async add(q: PredictedQuantum): Promise<void> {
    this.assertOpen();
    const labelIdx = this.labelIndex.get(q.label);
    if (labelIdx === undefined) {
      throw meridianError(
        'INVALID_ARGUMENT',
        `quantum ${q.id} has label '${q.label}', which is not in the pipeline`,
      );
    }
    const ordinal = this.thin.length;
    const encoded = this.tables.encodeQuantum(q);
    const predecessors = new Set<number>();
    for (const refs of Object.values(q.inputs)) {
      for (const r of refs) {
        const p = this.producers.get(r.id);
        if (p === undefined) this.existingInputs.add(r.id);
        else if (p !== ordinal) predecessors.add(p);
      }
    }
    for (const p of predecessors) this.edges.push(p, ordinal);
    for (const refs of Object.values(q.outputs)) {
      this.outputCount += refs.length;
      for (const r of refs) if (this.consumedTypes.has(r.datasetType.name)) this.producers.set(r.id, ordinal);
    }
    this.thin.push([q.id, labelIdx, encoded.group, ...(encoded.dataId as EncodedDataId)]);
    this.taskQuanta[q.label] = (this.taskQuanta[q.label] ?? 0) + 1;
    this.addresses.push(this.pages.length, this.page.length);
    this.page.push(encoded);
    // A cheap size estimate (refs dominate); exactness does not matter, only that pages stay small.
    this.pageBytes += 200 + 120 * countRefs(encoded);
    if (this.pageBytes >= PAGE_TARGET_BYTES || this.page.length >= PAGE_MAX_QUANTA) await this.flushPage();
  }

  /** Write everything else and move the file into place; returns the final header. */
  async finish(): Promise<QuantumGraphHeader> {
    this.assertOpen();
    try {
      if (this.page.length > 0) await this.flushPage();
      await this.writeChain;
      const header: QuantumGraphHeader = {
        ...this.options.header,
        formatVersion: QGRAPH_FORMAT_VERSION,
        nQuanta: this.thin.length,
        nDatasets: this.outputCount + this.existingInputs.size + this.initDatasetCount(),
        taskQuanta: Object.fromEntries(this.labels.map((l) => [l, this.taskQuanta[l] ?? 0])),
      };
      const initJson = this.initQuanta.map(initQuantumToJSON);
      const thinGraph: ThinGraphJSON = { labels: this.labels, quanta: this.thin, edges: this.edges };
      const pageIndex = Buffer.alloc(this.pages.length * PAGE_ENTRY_BYTES);
      this.pages.forEach((p, i) => {
        writeUInt64(pageIndex, p.offset, i * PAGE_ENTRY_BYTES);
        pageIndex.writeUInt32BE(p.length, i * PAGE_ENTRY_BYTES + 8);
        pageIndex.writeUInt32BE(p.crc, i * PAGE_ENTRY_BYTES + 12);
      });
      const addresses = Buffer.alloc((this.addresses.length / 2) * ADDRESS_ENTRY_BYTES);
      for (let i = 0; i < this.addresses.length; i++) addresses.writeUInt32BE(this.addresses[i]!, i * 4);
      const raw: Record<SectionName, Buffer> = {
        header: json(header),
        pipeline: json(this.options.pipeline),
        tables: json(this.tables.toJSON()),
        initQuanta: json(initJson),
        thinGraph: json(thinGraph),
        pages: pageIndex,
        addresses,
      };
      const entries: SectionEntry[] = [];
      for (const name of SECTIONS) entries.push(await this.appendCompressed(raw[name]));
      await this.append(footer(entries, crc32));
      await this.fh.sync();
      await this.fh.close();
      await rename(this.tempPath, this.finalPath);
      this.state = 'finished';
      return header;
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /** Stop and remove the temporary file (no effect after finish). */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.writeChain.catch(() => {});
    await this.fh.close().catch(() => {});
    await unlink(this.tempPath).catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.abort();
  }

  private initDatasetCount(): number {
    const ids = new Set<string>();
    for (const q of this.initQuanta) {
      for (const refs of [...Object.values(q.initInputs), ...Object.values(q.initOutputs)])
        for (const r of refs) if (!this.existingInputs.has(r.id)) ids.add(r.id);
    }
    return ids.size;
  }

  private assertOpen(): void {
    if (this.state !== 'open') {
      throw meridianError(
        'INVALID_ARGUMENT',
        `the quantum graph writer for ${this.finalPath} is ${this.state}`,
      );
    }
  }

  private async flushPage(): Promise<void> {
    const quanta = this.page;
    this.page = [];
    this.pageBytes = 0;
    const pageNumber = this.pages.length;
    // Reserve the page's slot now so addresses stay in order; offset and length are filled when it is written.
    this.pages.push({ offset: 0, length: 0, crc: 0 });
    // Compressed here, synchronously: at level 1 a page takes well under a millisecond, less than the thread
    // pool's hand-off costs the main thread; only the write to the file is asynchronous.
    const compressed = deflateRawSync(Buffer.from(JSON.stringify(quanta)), {
      level: this.options.compressionLevel ?? 1,
    });
    this.pending++;
    this.writeChain = this.writeChain.then(async () => {
      const data = compressed;
      this.pages[pageNumber] = { offset: this.position, length: data.length, crc: crc32(data) };
      await this.append(data);
      this.pending--;
    });
    if (this.pending >= MAX_PENDING_PAGES) await this.writeChain;
  }

  private async appendCompressed(raw: Buffer): Promise<SectionEntry> {
    const data = await deflateRawAsync(raw, { level: this.options.compressionLevel ?? 1 });
    const entry = { offset: this.position, length: data.length, crc: crc32(data) };
    await this.append(data);
    return entry;
  }

  private async append(data: Buffer): Promise<void> {
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.fh.write(
        data,
        written,
        data.length - written,
        this.position + written,
      );
      written += bytesWritten;
    }
    this.position += data.length;
  }
}

function countRefs(q: EncodedQuantum): number {
  let n = 0;
  for (const refs of Object.values(q.inputs)) n += refs.length;
  for (const refs of Object.values(q.outputs)) n += refs.length;
  return n + q.datastoreRecords.length;
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/**
 * Write a whole graph held in memory (atomically: temporary file, then rename). Quanta are written task by task
 * in the pipeline's order, so producers always precede their consumers.
 */
export async function writeQuantumGraph(
  path: string,
  graph: QuantumGraph,
  options: { universe?: DimensionUniverse; compressionLevel?: number } = {},
): Promise<QuantumGraphHeader> {
  const universe =
    options.universe ??
    graph.quanta[0]?.dataId.group.universe ??
    graph.initQuanta.flatMap((q) => Object.values(q.initOutputs).flat())[0]?.datasetType.dimensions
      .universe ??
    DimensionUniverse.default();
  const { formatVersion: _v, nQuanta: _n, nDatasets: _d, taskQuanta: _t, ...header } = graph.header;
  const writer = await QuantumGraphWriter.create(path, {
    universe,
    header,
    pipeline: graph.pipeline,
    compressionLevel: options.compressionLevel,
  });
  try {
    writer.setInitQuanta(graph.initQuanta);
    const order = new Map(graph.pipeline.tasks.map((t, i) => [t.label, i]));
    const sorted = [...graph.quanta].sort((a, b) => (order.get(a.label) ?? 0) - (order.get(b.label) ?? 0));
    for (const q of sorted) await writer.add(q);
    return await writer.finish();
  } finally {
    await writer.abort();
  }
}
