/**
 * Search by position: a table with position columns, a centre and a radius, and the columns to return. It shows
 * the ADQL it generates; "Search" puts that into the editor and runs it, so the query stays editable and visible.
 */

import { useEffect, useMemo, useState } from 'react';
import type { SchemaTable } from '../api/tap-schema.js';
import { type ConeSearch, coneProblem, coneQuery, positionColumnsOf } from './cone.js';

const UNITS = { arcsec: 1 / 3600, arcmin: 1 / 60, deg: 1 } as const;
type Unit = keyof typeof UNITS;

export interface ConeDefaults {
  readonly ra?: string;
  readonly dec?: string;
  /** Degrees. */
  readonly radius?: string;
}

interface Props {
  readonly schema: readonly SchemaTable[];
  readonly defaults: ConeDefaults;
  onSearch(adql: string): void;
}

export function ConeSearchForm({ schema, defaults, onSearch }: Props) {
  const tables = useMemo(() => schema.filter((t) => positionColumnsOf(t) !== null), [schema]);
  const [tableName, setTableName] = useState('');
  const [ra, setRa] = useState(defaults.ra ?? '62');
  const [dec, setDec] = useState(defaults.dec ?? '-37');
  const [radius, setRadius] = useState(defaults.radius ?? '3');
  const [unit, setUnit] = useState<Unit>(defaults.radius === undefined ? 'arcmin' : 'deg');
  const [columns, setColumns] = useState('');
  const table =
    tables.find((t) => t.name === tableName) ?? tables.find((t) => t.name.endsWith('.Object')) ?? tables[0];

  useEffect(() => {
    if (table !== undefined && columns === '') {
      const position = positionColumnsOf(table)!;
      const id = table.columns.find((c) => c.ucd?.startsWith('meta.id') && c.ucd.includes('meta.main'))?.name;
      setColumns([id, position.ra, position.dec].filter(Boolean).join(', '));
    }
  }, [table, columns]);

  if (table === undefined) return <p className="muted">No table with position columns.</p>;
  const position = positionColumnsOf(table)!;
  const search: ConeSearch = {
    table: table.name,
    raColumn: position.ra,
    decColumn: position.dec,
    ra: Number(ra),
    dec: Number(dec),
    radiusDegrees: Number(radius) * UNITS[unit],
    columns: columns
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c !== '' && c !== '*'),
  };
  const problem = coneProblem(search);

  return (
    <form
      className="cone-form"
      aria-label="Cone search"
      onSubmit={(event) => {
        event.preventDefault();
        if (problem === null) onSearch(coneQuery(search));
      }}
    >
      <label>
        Table
        <select value={table.name} onChange={(e) => setTableName(e.target.value)}>
          {tables.map((t) => (
            <option key={t.name} value={t.name}>
              {t.name.slice(t.name.lastIndexOf('.') + 1)}
            </option>
          ))}
        </select>
      </label>
      <div className="cone-row">
        <label>
          RA (°)
          <input name="ra" inputMode="decimal" value={ra} onChange={(e) => setRa(e.target.value)} />
        </label>
        <label>
          Dec (°)
          <input name="dec" inputMode="decimal" value={dec} onChange={(e) => setDec(e.target.value)} />
        </label>
      </div>
      <div className="cone-row">
        <label>
          Radius
          <input
            name="radius"
            inputMode="decimal"
            value={radius}
            onChange={(e) => setRadius(e.target.value)}
          />
        </label>
        <label>
          &nbsp;
          <select aria-label="Radius unit" value={unit} onChange={(e) => setUnit(e.target.value as Unit)}>
            <option value="arcsec">arcsec</option>
            <option value="arcmin">arcmin</option>
            <option value="deg">deg</option>
          </select>
        </label>
      </div>
      <label>
        Columns (empty: all)
        <input name="columns" value={columns} onChange={(e) => setColumns(e.target.value)} />
      </label>
      {problem !== null ? (
        <p className="tool-error" role="alert">
          {problem}
        </p>
      ) : (
        <output className="cone-adql" aria-label="Generated ADQL">
          {coneQuery(search)}
        </output>
      )}
      <button type="submit" className="primary" disabled={problem !== null}>
        Search
      </button>
    </form>
  );
}
