/** Tables → columns from TAP_SCHEMA with unit, UCD and description; a filter on names; a click inserts the name. */

import { useMemo, useState } from 'react';
import type { SchemaTable } from '../api/tap-schema.js';

interface Props {
  readonly schema: readonly SchemaTable[];
  onInsert(text: string): void;
}

export function SchemaBrowser({ schema, onInsert }: Props) {
  const [filter, setFilter] = useState('');
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const needle = filter.trim().toLowerCase();
  const shown = useMemo(
    () =>
      schema
        .map((table) => {
          const tableMatches = needle === '' || table.name.toLowerCase().includes(needle);
          const columns = tableMatches
            ? table.columns
            : table.columns.filter((c) => c.name.toLowerCase().includes(needle));
          return { table, columns, visible: tableMatches || columns.length > 0 };
        })
        .filter((t) => t.visible),
    [schema, needle],
  );
  const toggle = (name: string) =>
    setOpen((previous) => {
      const next = new Set(previous);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });

  return (
    <section className="schema" aria-label="Schema browser">
      <input
        className="schema-filter"
        type="search"
        placeholder="Filter tables and columns"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
      />
      <ul className="schema-tables">
        {shown.map(({ table, columns }, index) => {
          const expanded = open.has(table.name) || (needle !== '' && columns.length < table.columns.length);
          const dot = table.name.lastIndexOf('.');
          const [schemaName, shortName] = [table.name.slice(0, Math.max(dot, 0)), table.name.slice(dot + 1)];
          const previous = shown[index - 1]?.table.name;
          const firstOfSchema = previous === undefined || !previous.startsWith(`${schemaName}.`);
          return (
            <li key={table.name}>
              {firstOfSchema && schemaName !== '' && <div className="schema-group">{schemaName}</div>}
              <div className="schema-table">
                <button
                  type="button"
                  className="twisty"
                  aria-expanded={expanded}
                  aria-label={`${expanded ? 'Collapse' : 'Expand'} ${table.name}`}
                  onClick={() => toggle(table.name)}
                >
                  {expanded ? '▾' : '▸'}
                </button>
                <button
                  type="button"
                  className="schema-name"
                  title={[table.name, table.description].filter(Boolean).join('\n')}
                  aria-label={table.name}
                  onClick={() => onInsert(table.name)}
                >
                  {shortName}
                </button>
                <span className="muted">{table.columns.length}</span>
              </div>
              {expanded && (
                <ul className="schema-columns">
                  {columns.map((column) => (
                    <li key={column.name}>
                      <button
                        type="button"
                        className="schema-column"
                        title={[column.description, column.ucd].filter(Boolean).join('\n') || undefined}
                        onClick={() => onInsert(column.name)}
                      >
                        <span className="column-name">{column.name}</span>
                        <span className="muted">{column.unit ?? ''}</span>
                      </button>
                      {column.description !== null && (
                        <div className="column-description">{column.description}</div>
                      )}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
