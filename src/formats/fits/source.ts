/**
 * Where FITS bytes come from: a file (read with positioned reads, never slurped) or a buffer already in memory.
 * A reader is opened per operation and closed at its end, so a FitsFile holds no open file descriptor.
 */

import { open, stat } from 'node:fs/promises';
import { meridianError } from '../../errors.js';

export interface PositionedReader {
  /** Fill `target` from byte `position`; returns how many bytes were available (short at the end). */
  read(target: Uint8Array, position: number): Promise<number>;
  close(): Promise<void>;
}

export interface ByteSource {
  /** The file path, or a label for an in-memory buffer; used in error messages. */
  readonly name: string;
  readonly size: number;
  open(): Promise<PositionedReader>;
}

export async function fileSource(path: string): Promise<ByteSource> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    throw meridianError('FILE_NOT_FOUND', `cannot open FITS file ${path}`, { file: path }, err);
  }
  return {
    name: path,
    size,
    async open() {
      const handle = await open(path, 'r');
      return {
        async read(target, position) {
          let done = 0;
          while (done < target.length) {
            const { bytesRead } = await handle.read(target, done, target.length - done, position + done);
            if (bytesRead === 0) break;
            done += bytesRead;
          }
          return done;
        },
        close: () => handle.close(),
      };
    },
  };
}

export function bufferSource(bytes: Uint8Array, name = '<buffer>'): ByteSource {
  return {
    name,
    size: bytes.length,
    async open() {
      return {
        async read(target, position) {
          const available = Math.max(0, Math.min(target.length, bytes.length - position));
          target.set(bytes.subarray(position, position + available));
          return available;
        },
        async close() {},
      };
    },
  };
}

/** Run `use` with an open reader and always close it. */
export async function withReader<T>(
  source: ByteSource,
  use: (reader: PositionedReader) => Promise<T>,
): Promise<T> {
  const reader = await source.open();
  try {
    return await use(reader);
  } finally {
    await reader.close();
  }
}
