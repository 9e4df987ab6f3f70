import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  databaseOrDefaultFile,
  databaseUrl,
  isDatabaseUrl,
  parseDatabaseConfig,
} from '../../src/db/index.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('database configuration: URL or object', () => {
  it('reads SQLite URLs, including the absolute sqlite:/// spelling', () => {
    expect(parseDatabaseConfig('sqlite:gen3.sqlite3')).toEqual({ kind: 'sqlite', path: 'gen3.sqlite3' });
    expect(parseDatabaseConfig('sqlite:///tmp/x.sqlite3')).toEqual({
      kind: 'sqlite',
      path: '/tmp/x.sqlite3',
    });
    expect(parseDatabaseConfig({ kind: 'sqlite', path: '/tmp/x.sqlite3' })).toEqual(
      parseDatabaseConfig('sqlite:/tmp/x.sqlite3'),
    );
  });

  it('reads PostgreSQL URLs, taking the schema from ?schema=', () => {
    expect(parseDatabaseConfig('postgresql://u:p@h:5432/db?schema=jobs')).toEqual({
      kind: 'postgresql',
      url: 'postgresql://u:p@h:5432/db',
      schema: 'jobs',
    });
    expect(parseDatabaseConfig('postgres://h/db')).toEqual({ kind: 'postgresql', url: 'postgres://h/db' });
    // The object form may carry the schema in its URL too.
    expect(parseDatabaseConfig({ kind: 'postgresql', url: 'postgresql://h/db?schema=s' })).toEqual({
      kind: 'postgresql',
      url: 'postgresql://h/db',
      schema: 's',
    });
  });

  it('turns a configuration back into a URL that reads the same', () => {
    const parts = parseDatabaseConfig({
      kind: 'postgresql',
      host: 'db.example.org',
      port: 5433,
      user: 'butler@site',
      password: 'p/ss',
      database: 'dp0',
      schema: 'repo',
    });
    const url = databaseUrl(parts);
    expect(url).toBe('postgresql://butler%40site:p%2Fss@db.example.org:5433/dp0?schema=repo');
    expect(parseDatabaseConfig(url)).toEqual({
      kind: 'postgresql',
      url: 'postgresql://butler%40site:p%2Fss@db.example.org:5433/dp0',
      schema: 'repo',
    });
    expect(databaseUrl(parseDatabaseConfig('sqlite:a/b.sqlite3'))).toBe('sqlite:a/b.sqlite3');
  });

  it('returns frozen configurations', () => {
    expect(Object.isFrozen(parseDatabaseConfig('sqlite:x'))).toBe(true);
    expect(Object.isFrozen(parseDatabaseConfig({ kind: 'postgresql', host: 'h' }))).toBe(true);
  });

  it('rejects what it cannot use with CONFIG_INVALID', () => {
    expect(codeOf(() => parseDatabaseConfig('mysql://h/db'))).toBe('CONFIG_INVALID');
    expect(codeOf(() => parseDatabaseConfig('sqlite:'))).toBe('CONFIG_INVALID');
    expect(codeOf(() => parseDatabaseConfig('sqlite::memory:'))).toBe('CONFIG_INVALID');
    expect(codeOf(() => parseDatabaseConfig({ kind: 'oracle' } as never))).toBe('CONFIG_INVALID');
    expect(codeOf(() => parseDatabaseConfig({ kind: 'sqlite' } as never))).toBe('CONFIG_INVALID');
    expect(codeOf(() => parseDatabaseConfig({ kind: 'postgresql', schema: 'Bad-Name' }))).toBe(
      'CONFIG_INVALID',
    );
    expect(codeOf(() => parseDatabaseConfig('postgresql://h/db?schema=x;drop'))).toBe('CONFIG_INVALID');
    expect(
      codeOf(() => parseDatabaseConfig({ kind: 'postgresql', url: 'postgresql://h/db', host: 'other' })),
    ).toBe('CONFIG_INVALID');
  });

  it('never shows the password of an unsupported URL', () => {
    try {
      parseDatabaseConfig('mysql://u:secret@h/db');
    } catch (err) {
      expect((err as Error).message).not.toContain('secret');
    }
  });
});

describe("a store's database or its default file", () => {
  it('tells URLs from bare paths', () => {
    expect(isDatabaseUrl('postgresql://u@h/db')).toBe(true);
    expect(isDatabaseUrl('sqlite:jobs.sqlite3')).toBe(true);
    expect(isDatabaseUrl('jobs.sqlite3')).toBe(false);
    expect(isDatabaseUrl('/abs/jobs.sqlite3')).toBe(false);
  });

  it('makes the default file and bare paths absolute, once; keeps URLs and objects', () => {
    expect(databaseOrDefaultFile(undefined, 'demo-work/catalog-db', 'tokens.sqlite3')).toEqual({
      kind: 'sqlite',
      path: resolve('demo-work/catalog-db', 'tokens.sqlite3'),
    });
    expect(databaseOrDefaultFile('t.sqlite3', '/elsewhere', 'tokens.sqlite3')).toEqual({
      kind: 'sqlite',
      path: join(process.cwd(), 't.sqlite3'),
    });
    expect(databaseOrDefaultFile('postgresql://u@h/db', '/x', 'f')).toBe('postgresql://u@h/db');
    const object = { kind: 'sqlite' as const, path: 'rel.sqlite3' };
    expect(databaseOrDefaultFile(object, '/x', 'f')).toBe(object);
  });
});
