/**
 * The Download menu on the result table: CSV, VOTable or Parquet of exactly what the table shows (filter, sort,
 * derived and visible columns in their order). CSV and VOTable are written in the browser by export.ts — no second
 * query. Parquet goes through the server (parquet-upload.ts): the view is uploaded as a VOTable and the server
 * writes it back as VOParquet, within the service's upload limit, which is checked first with a clear message.
 */

import { useCallback, useMemo, useRef, useState } from 'react';
import type { ResultTable } from '../api/json-result.js';
import { TapClient } from '../api/tap-client.js';
import { useDismiss } from './dismiss.js';
import { type DisplayedView, toCsv, toVotable } from './export.js';
import { parquetRequest, UPLOAD_TABLE, uploadBytes } from './parquet-upload.js';

interface Props {
  readonly table: ResultTable;
  /** Computed only when a format is chosen: sorting 100,000 rows on every render would be waste. */
  view(): DisplayedView;
}

const FORMATS = {
  csv: { label: 'CSV', file: 'result.csv', mime: 'text/csv;charset=utf-8', write: toCsv },
  votable: {
    label: 'VOTable',
    file: 'result.vot',
    mime: 'application/x-votable+xml;charset=utf-8',
    write: toVotable,
  },
} as const;

type Format = keyof typeof FORMATS | 'parquet';

function save(blob: Blob, file: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = file;
  document.body.append(link);
  link.click();
  link.remove();
  // The click has handed the Blob to the download by now; revoking later keeps slow browsers safe.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function size(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function Download({ table, view }: Props) {
  // The client is stateless (the token is read per request), so a menu may hold its own.
  const client = useMemo(() => new TapClient(), []);
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const container = useRef<HTMLDivElement>(null);
  const close = useCallback(() => setOpen(false), []);
  useDismiss(open, container, close);

  const downloadParquet = async () => {
    setBusy(true);
    try {
      const request = parquetRequest(table, view());
      const [bytes, limit] = [uploadBytes(request), await client.uploadLimitBytes()];
      if (limit !== null && bytes > limit) {
        setError(
          `Parquet is written by the server from an upload of the displayed table, which is ${size(bytes)}; ` +
            `this service takes uploads up to ${size(limit)}. Filter the rows or hide columns, or download ` +
            'CSV or VOTable, which are written here.',
        );
        return;
      }
      const blob = await client.uploadQuery(
        request.adql,
        UPLOAD_TABLE,
        request.votable,
        'parquet',
        request.rows,
      );
      save(blob, 'result.parquet');
      setError(null);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      setError(`Parquet download failed: ${message}`);
    } finally {
      setBusy(false);
    }
  };

  const download = (format: Format) => {
    setOpen(false);
    if (format === 'parquet') {
      void downloadParquet();
      return;
    }
    const { write, file, mime } = FORMATS[format];
    save(new Blob([write(table, view())], { type: mime }), file);
    setError(null);
  };
  return (
    <div className="download" ref={container}>
      <button
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        disabled={busy}
        onClick={() => setOpen(!open)}
      >
        {busy ? 'Preparing Parquet…' : 'Download ▾'}
      </button>
      {open && (
        <div className="download-menu" role="menu">
          {(Object.keys(FORMATS) as (keyof typeof FORMATS)[]).map((format) => (
            <button type="button" role="menuitem" key={format} onClick={() => download(format)}>
              {FORMATS[format].label}
            </button>
          ))}
          <button
            type="button"
            role="menuitem"
            title="Written by the server from an upload of the displayed table"
            onClick={() => download('parquet')}
          >
            Parquet
          </button>
        </div>
      )}
      {error !== null && (
        <p className="tool-error download-error" role="alert">
          {error}{' '}
          <button type="button" className="icon" aria-label="Dismiss" onClick={() => setError(null)}>
            ×
          </button>
        </p>
      )}
    </div>
  );
}
