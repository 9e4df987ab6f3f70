import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * Another process that takes a SQLite database's write lock (BEGIN IMMEDIATE) and keeps it for `ms`: a writer in
 * this process then has to wait, as it would for a second butler writing the same repository. (A lock held in
 * this process could not be let go while better-sqlite3 waits, because that wait blocks the thread.)
 */
export function holdSqliteWriteLock(
  path: string,
  ms: number,
): { locked: Promise<void>; done: Promise<void> } {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, Number(process.argv[2]));
  `;
  const child = spawn(process.execPath, ['-e', script, path, String(ms)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d) => String(d).includes('locked') && resolve());
    child.on('exit', (code) => reject(new Error(`lock holder exited ${code} before locking`)));
  });
  const done = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { locked, done };
}
