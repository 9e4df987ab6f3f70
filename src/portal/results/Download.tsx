/**
 * The Download menu on the result table: CSV or VOTable of exactly what the table shows (filter, sort, derived
 * and visible columns), written in the browser by export.ts and saved through a Blob URL — no second query.
 */

import { useState } from 'react';
import type { ResultTable } from '../api/json-result.js';
import { type DisplayedView, toCsv, toVotable } from './export.js';

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

type Format = keyof typeof FORMATS;

function save(text: string, file: string, mime: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const link = document.createElement('a');
  link.href = url;
  link.download = file;
  document.body.append(link);
  link.click();
  link.remove();
  // The click has handed the Blob to the download by now; revoking later keeps slow browsers safe.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function Download({ table, view }: Props) {
  const [open, setOpen] = useState(false);
  const download = (format: Format) => {
    const { write, file, mime } = FORMATS[format];
    save(write(table, view()), file, mime);
    setOpen(false);
  };
  return (
    <div className="download">
      <button type="button" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)}>
        Download ▾
      </button>
      {open && (
        <div className="download-menu" role="menu">
          {(Object.keys(FORMATS) as Format[]).map((format) => (
            <button type="button" role="menuitem" key={format} onClick={() => download(format)}>
              {FORMATS[format].label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
