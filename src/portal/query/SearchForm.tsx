/**
 * Search by form: a table; a cone (RA, Dec, radius with units), a polygon (`ra dec` vertices) or no region; column
 * constraints; and the columns to return, ticked from the table's list. It shows the ADQL it generates
 * (search-form.ts); "Search" puts that into the editor and runs it, so the query stays editable and visible. The
 * form does not read edits made in the editor, as in Firefly.
 */

import { useMemo, useState } from 'react';
import type { SchemaTable } from '../api/tap-schema.js';
import { type ConstraintRow, ConstraintRows } from './ConstraintRows.js';
import { positionColumnsOf } from './cone.js';
import { type FormSearch, parseVertices, type Region, searchProblem, searchQuery } from './search-form.js';

const UNITS = { arcsec: 1 / 3600, arcmin: 1 / 60, deg: 1 } as const;
type Unit = keyof typeof UNITS;
type RegionKind = Region['kind'];

export interface SearchDefaults {
  readonly ra?: string;
  readonly dec?: string;
  /** Degrees. */
  readonly radius?: string;
}

interface Props {
  readonly schema: readonly SchemaTable[];
  readonly defaults: SearchDefaults;
  onSearch(adql: string): void;
}

/** The columns a table starts with ticked: its main id and its position, else its first three. */
function defaultColumns(table: SchemaTable): ReadonlySet<string> {
  const position = positionColumnsOf(table);
  const id = table.columns.find((c) => c.ucd?.startsWith('meta.id') && c.ucd.includes('meta.main'))?.name;
  const chosen = [id, position?.ra, position?.dec].filter((c): c is string => c !== undefined);
  return new Set(chosen.length > 0 ? chosen : table.columns.slice(0, 3).map((c) => c.name));
}

export function SearchForm({ schema, defaults, onSearch }: Props) {
  const tables = useMemo(
    () => schema.filter((t) => !t.name.toLowerCase().startsWith('tap_schema.')),
    [schema],
  );
  const [tableName, setTableName] = useState('');
  const [regionKind, setRegionKind] = useState<RegionKind>('cone');
  const [ra, setRa] = useState(defaults.ra ?? '62');
  const [dec, setDec] = useState(defaults.dec ?? '-37');
  const [radius, setRadius] = useState(defaults.radius ?? '3');
  const [unit, setUnit] = useState<Unit>(defaults.radius === undefined ? 'arcmin' : 'deg');
  const [polygonText, setPolygonText] = useState('62.0 -37.1\n62.2 -37.1\n62.2 -36.9\n62.0 -36.9');
  const [constraints, setConstraints] = useState<readonly ConstraintRow[]>([]);
  // Ticks are per table: switching tables starts from that table's defaults.
  const [ticked, setTicked] = useState<{ table: string; columns: ReadonlySet<string> } | null>(null);
  const table =
    tables.find((t) => t.name === tableName) ?? tables.find((t) => t.name.endsWith('.Object')) ?? tables[0];

  if (table === undefined) return <p className="muted">Loading tables…</p>;
  const position = positionColumnsOf(table);
  const region = position === null ? 'none' : regionKind;
  const columns = ticked?.table === table.name ? ticked.columns : defaultColumns(table);
  const setColumns = (next: ReadonlySet<string>) => setTicked({ table: table.name, columns: next });
  const vertices = parseVertices(polygonText);
  const activeConstraints = constraints.filter((c) =>
    table.columns.some((column) => column.name === c.column),
  );

  const regionValue: Region =
    region === 'cone'
      ? { kind: 'cone', ra: Number(ra), dec: Number(dec), radiusDegrees: Number(radius) * UNITS[unit] }
      : region === 'polygon'
        ? { kind: 'polygon', vertices: 'vertices' in vertices ? vertices.vertices : [] }
        : { kind: 'none' };
  const search: FormSearch = {
    table: table.name,
    tableColumns: table.columns,
    position,
    region: regionValue,
    constraints: activeConstraints,
    columns: table.columns.filter((c) => columns.has(c.name)).map((c) => c.name),
  };
  const problem = region === 'polygon' && 'problem' in vertices ? vertices.problem : searchProblem(search);

  return (
    <form
      className="cone-form search-form"
      aria-label="Search form"
      onSubmit={(event) => {
        event.preventDefault();
        if (problem === null) onSearch(searchQuery(search));
      }}
    >
      <label>
        Table
        <select
          value={table.name}
          onChange={(e) => {
            setTableName(e.target.value);
            setConstraints([]);
          }}
        >
          {tables.map((t) => (
            <option key={t.name} value={t.name}>
              {t.name.slice(t.name.lastIndexOf('.') + 1)}
            </option>
          ))}
        </select>
      </label>
      <div className="region-kind" role="radiogroup" aria-label="Region">
        {(['cone', 'polygon', 'none'] as const).map((kind) => (
          <label key={kind} title={position === null ? 'This table has no position columns' : undefined}>
            <input
              type="radio"
              name="region"
              value={kind}
              checked={region === kind}
              disabled={position === null && kind !== 'none'}
              onChange={() => setRegionKind(kind)}
            />
            {kind === 'cone' ? 'Cone' : kind === 'polygon' ? 'Polygon' : 'All sky'}
          </label>
        ))}
      </div>
      {region === 'cone' && (
        <>
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
        </>
      )}
      {region === 'polygon' && (
        <label>
          Vertices: RA Dec (°), a pair a line
          <textarea
            name="polygon"
            rows={4}
            spellCheck={false}
            value={polygonText}
            onChange={(e) => setPolygonText(e.target.value)}
          />
        </label>
      )}
      <ConstraintRows columns={table.columns} rows={activeConstraints} onChange={setConstraints} />
      <fieldset className="return-columns" aria-label="Columns to return">
        <legend>
          Columns ({search.columns.length}/{table.columns.length})
          <button
            type="button"
            className="legend-button"
            onClick={() => setColumns(new Set(table.columns.map((c) => c.name)))}
          >
            All
          </button>
          <button type="button" className="legend-button" onClick={() => setColumns(new Set())}>
            None
          </button>
        </legend>
        <div className="column-list">
          {table.columns.map((column) => (
            <label
              key={column.name}
              title={[column.datatype, column.unit, column.description].filter(Boolean).join(' · ')}
            >
              <input
                type="checkbox"
                checked={columns.has(column.name)}
                onChange={(e) => {
                  const next = new Set(columns);
                  if (e.target.checked) next.add(column.name);
                  else next.delete(column.name);
                  setColumns(next);
                }}
              />
              {column.name}
            </label>
          ))}
        </div>
      </fieldset>
      {problem !== null ? (
        <p className="tool-error" role="alert">
          {problem}
        </p>
      ) : (
        <output className="cone-adql" aria-label="Generated ADQL">
          {searchQuery(search)}
        </output>
      )}
      <button type="submit" className="primary" disabled={problem !== null}>
        Search
      </button>
    </form>
  );
}
