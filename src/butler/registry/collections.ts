import { hostname } from 'node:os';
import { toNumber } from '../../db/index.js';
import { meridianError } from '../../errors.js';
import type { RegistryCache } from './cache.js';
import type { RegistryDatabase } from './open.js';
import { datasetTableNames } from './schema.js';

export type CollectionType = 'RUN' | 'TAGGED' | 'CHAINED' | 'CALIBRATION';
/** Stored as SMALLINT with daf_butler's CollectionType values. */
const TYPE_CODE: Record<CollectionType, number> = { RUN: 1, TAGGED: 2, CHAINED: 3, CALIBRATION: 4 };
const CODE_TYPE = new Map(Object.entries(TYPE_CODE).map(([k, v]) => [v, k as CollectionType]));
export const COLLECTION_TYPES: readonly CollectionType[] = ['RUN', 'TAGGED', 'CHAINED', 'CALIBRATION'];
export const COLLECTION_NAME_MAX = 64;

export interface CollectionRecord {
  readonly id: number;
  readonly name: string;
  readonly type: CollectionType;
  readonly doc: string | null;
}

export function parseCollectionType(s: string): CollectionType {
  const t = s.toUpperCase();
  if (!(t in TYPE_CODE)) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `unknown collection type '${s}'; use one of ${COLLECTION_TYPES.join(', ')}`,
    );
  }
  return t as CollectionType;
}

export function isGlob(s: string): boolean {
  return /[*?[]/.test(s);
}

/** Shell-style glob (`*`, `?`, `[abc]`) to an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        re += `[${glob
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function validateName(name: string): void {
  if (name.length === 0 || name.length > COLLECTION_NAME_MAX || isGlob(name) || /[\s,]/.test(name)) {
    throw meridianError(
      'COLLECTION_NAME_INVALID',
      `invalid collection name '${name}': 1 to ${COLLECTION_NAME_MAX} characters, no spaces, commas or wildcards`,
      { name },
    );
  }
}

/**
 * Collections and chains, read from the registry cache (see cache.ts for how it stays correct); writes go to the
 * database in a transaction and then into the cache.
 */
export class CollectionManager {
  private byName = new Map<string, CollectionRecord>();
  private byId = new Map<number, CollectionRecord>();
  /** Chain parent id → child ids in search order. */
  private chains = new Map<number, number[]>();

  constructor(
    private readonly database: RegistryDatabase,
    private readonly cache: RegistryCache,
  ) {
    cache.addLoader(() => this.load());
  }

  private fromRow(row: Record<string, unknown>): CollectionRecord {
    return Object.freeze({
      id: toNumber(row.collection_id),
      name: String(row.name),
      type: CODE_TYPE.get(toNumber(row.type))!,
      doc: (row.doc as string | null) ?? null,
    });
  }

  private async load(): Promise<void> {
    const executor = this.database.executor();
    const rows = await executor.selectFrom('collection').selectAll().execute();
    const chainRows = await executor
      .selectFrom('collection_chain')
      .select(['parent', 'child'])
      .orderBy('parent')
      .orderBy('position')
      .execute();
    const byName = new Map<string, CollectionRecord>();
    const byId = new Map<number, CollectionRecord>();
    for (const r of rows) {
      const rec = this.fromRow(r);
      byName.set(rec.name, rec);
      byId.set(rec.id, rec);
    }
    const chains = new Map<number, number[]>();
    for (const r of chainRows) {
      const parent = toNumber(r.parent);
      if (!chains.has(parent)) chains.set(parent, []);
      chains.get(parent)!.push(toNumber(r.child));
    }
    this.byName = byName;
    this.byId = byId;
    this.chains = chains;
  }

  /** Register a collection; returns false if it already exists with the same type. */
  async register(name: string, type: CollectionType, doc?: string | null): Promise<boolean> {
    validateName(name);
    return this.database.transaction((trx) =>
      this.cache.writing(async () => {
        const existing = this.byName.get(name);
        if (existing !== undefined) {
          if (existing.type !== type) {
            throw meridianError(
              'COLLECTION_EXISTS',
              `collection '${name}' already exists as ${existing.type}, not ${type}`,
              { name, type: existing.type },
            );
          }
          return false;
        }
        const res = await trx
          .insertInto('collection')
          .values({ name, type: TYPE_CODE[type], doc: doc ?? null })
          .returning('collection_id')
          .executeTakeFirstOrThrow();
        if (type === 'RUN') {
          await trx
            .insertInto('run')
            .values({ collection_id: res.collection_id, host: hostname().slice(0, 128) })
            .execute();
        }
        if (await this.cache.changed(trx)) {
          const rec = Object.freeze({ id: toNumber(res.collection_id), name, type, doc: doc ?? null });
          this.byName.set(name, rec);
          this.byId.set(rec.id, rec);
        }
        return true;
      }),
    );
  }

  async find(name: string): Promise<CollectionRecord | null> {
    await this.cache.ensureFresh();
    return this.byName.get(name) ?? null;
  }

  async get(name: string): Promise<CollectionRecord> {
    if (isGlob(name)) {
      throw meridianError('COLLECTION_NAME_INVALID', `wildcards are not allowed here: '${name}'`, { name });
    }
    const rec = await this.find(name);
    if (rec === null)
      throw meridianError('COLLECTION_UNKNOWN', `collection '${name}' does not exist`, { name });
    return rec;
  }

  async getRun(name: string): Promise<CollectionRecord> {
    const rec = await this.get(name);
    if (rec.type !== 'RUN') {
      throw meridianError('COLLECTION_TYPE', `collection '${name}' is ${rec.type}, not a RUN`, { name });
    }
    return rec;
  }

  /** A collection by id from the cache as it is (for callers that checked it in this call, cache.ts). */
  cachedById(id: number): CollectionRecord | undefined {
    return this.byId.get(id);
  }

  async byIds(ids: readonly number[]): Promise<Map<number, CollectionRecord>> {
    const out = new Map<number, CollectionRecord>();
    if (ids.length === 0) return out;
    await this.cache.ensureFresh();
    for (const id of ids) {
      const rec = this.byId.get(id);
      if (rec !== undefined) out.set(id, rec);
    }
    return out;
  }

  async all(): Promise<CollectionRecord[]> {
    await this.cache.ensureFresh();
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Collections matching glob patterns (all when none), optionally of given types, sorted by name. */
  async query(
    patterns: readonly string[] = [],
    types?: readonly CollectionType[],
  ): Promise<CollectionRecord[]> {
    let recs: CollectionRecord[];
    if (patterns.length > 0 && patterns.every((p) => !isGlob(p))) {
      recs = [];
      for (const p of patterns) {
        const r = await this.find(p);
        if (r === null)
          throw meridianError('COLLECTION_UNKNOWN', `collection '${p}' does not exist`, { name: p });
        if (!recs.some((x) => x.id === r.id)) recs.push(r);
      }
    } else {
      const res = patterns.map(globToRegExp);
      recs = (await this.all()).filter((r) => res.length === 0 || res.some((re) => re.test(r.name)));
    }
    return types === undefined ? recs : recs.filter((r) => types.includes(r.type));
  }

  /** The children of a chain, in search order. */
  private childrenOf(parent: CollectionRecord): CollectionRecord[] {
    return (this.chains.get(parent.id) ?? []).map((id) => this.byId.get(id)!);
  }

  async getChain(name: string): Promise<string[]> {
    const rec = await this.get(name);
    if (rec.type !== 'CHAINED') {
      throw meridianError('COLLECTION_TYPE', `collection '${name}' is ${rec.type}, not CHAINED`, { name });
    }
    return this.childrenOf(rec).map((c) => c.name);
  }

  /** Replace a chain's children. Rejects cycles; with `flatten`, stores the flattened list of non-chains. */
  async setChain(
    parent: string,
    children: readonly string[],
    options: { flatten?: boolean } = {},
  ): Promise<void> {
    await this.database.transaction((trx) =>
      this.cache.writing(async () => {
        const p = await this.get(parent);
        if (p.type !== 'CHAINED') {
          throw meridianError('COLLECTION_TYPE', `collection '${parent}' is ${p.type}, not CHAINED`, {
            name: parent,
          });
        }
        let resolved: CollectionRecord[] = [];
        for (const c of children) resolved.push(await this.get(c));
        if (options.flatten) resolved = await this.flatten(resolved);
        for (const child of resolved) {
          if (child.id === p.id || (child.type === 'CHAINED' && this.reaches(child, p.id))) {
            throw meridianError(
              'COLLECTION_CYCLE',
              `adding '${child.name}' to chain '${parent}' would create a cycle`,
              { parent, child: child.name },
            );
          }
        }
        const seen = new Set<number>();
        resolved = resolved.filter((r) => {
          if (seen.has(r.id)) return false;
          seen.add(r.id);
          return true;
        });
        await trx.deleteFrom('collection_chain').where('parent', '=', p.id).execute();
        if (resolved.length > 0) {
          await trx
            .insertInto('collection_chain')
            .values(resolved.map((c, i) => ({ parent: p.id, position: i, child: c.id })))
            .execute();
        }
        if (await this.cache.changed(trx)) {
          this.chains.set(
            p.id,
            resolved.map((r) => r.id),
          );
        }
      }),
    );
  }

  private reaches(from: CollectionRecord, target: number): boolean {
    for (const child of this.childrenOf(from)) {
      if (child.id === target) return true;
      if (child.type === 'CHAINED' && this.reaches(child, target)) return true;
    }
    return false;
  }

  async parentChains(name: string): Promise<string[]> {
    const rec = await this.get(name);
    const names: string[] = [];
    for (const [parent, children] of this.chains) {
      if (children.includes(rec.id)) names.push(this.byId.get(parent)!.name);
    }
    return names.sort();
  }

  /** Expand chains depth-first into an ordered list without duplicates (the find-first search order). */
  async flatten(records: readonly CollectionRecord[]): Promise<CollectionRecord[]> {
    await this.cache.ensureFresh();
    const out: CollectionRecord[] = [];
    const seen = new Set<number>();
    const visit = (r: CollectionRecord): void => {
      if (r.type === 'CHAINED') {
        for (const child of this.childrenOf(r)) visit(child);
        return;
      }
      if (!seen.has(r.id)) {
        seen.add(r.id);
        out.push(r);
      }
    };
    for (const r of records) visit(r);
    return out;
  }

  /**
   * Resolve a collection search. Ordered searches (find-first) reject wildcards; unordered ones expand globs.
   */
  async resolveSearch(names: readonly string[], options: { ordered: boolean }): Promise<CollectionRecord[]> {
    const recs: CollectionRecord[] = [];
    for (const n of names) {
      if (isGlob(n)) {
        if (options.ordered) {
          throw meridianError(
            'INVALID_ARGUMENT',
            `collection wildcard '${n}' is not allowed in an ordered (find-first) search; list the collections`,
          );
        }
        recs.push(...(await this.query([n])));
      } else recs.push(await this.get(n));
    }
    return this.flatten(recs);
  }

  async remove(name: string): Promise<void> {
    await this.database.transaction((trx) =>
      this.cache.writing(async () => {
        const rec = await this.get(name);
        const parents = await this.parentChains(name);
        if (parents.length > 0) {
          throw meridianError(
            'COLLECTION_IN_USE',
            `collection '${name}' is a child of chained collection(s) ${parents.join(', ')}; remove it from them first`,
            { name, parents },
          );
        }
        if (rec.type === 'TAGGED') {
          // Tags rows carry no foreign key to their collection (schema.ts): remove a TAGGED collection's here.
          for (const group of await trx.selectFrom('dimension_group').select('id').execute()) {
            await trx
              .deleteFrom(datasetTableNames(toNumber(group.id)).tags)
              .where('collection_id', '=', rec.id)
              .execute();
          }
        }
        await trx.deleteFrom('collection').where('collection_id', '=', rec.id).execute();
        if (await this.cache.changed(trx)) {
          this.byName.delete(rec.name);
          this.byId.delete(rec.id);
          this.chains.delete(rec.id);
        }
      }),
    );
  }

  async unlinkFromChains(name: string): Promise<void> {
    await this.database.transaction(() =>
      this.cache.writing(async () => {
        for (const parent of await this.parentChains(name)) {
          const children = (await this.getChain(parent)).filter((c) => c !== name);
          await this.setChain(parent, children);
        }
      }),
    );
  }
}
