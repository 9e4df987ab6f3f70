/**
 * The search form's column constraints: rows of column ▸ operator ▸ value(s). The operators offered and the value
 * inputs follow the column's datatype (search-form.ts): numbers for numeric columns, true/false for booleans, LIKE
 * only for strings, no value for IS [NOT] NULL and two for BETWEEN.
 */

import {
  arity,
  type Constraint,
  type FormColumn,
  type Operator,
  operatorsFor,
  valueKind,
} from './search-form.js';

/** A constraint row being edited; `key` keeps React's rows stable when one in the middle is removed. */
export interface ConstraintRow extends Constraint {
  readonly key: number;
}

interface Props {
  readonly columns: readonly FormColumn[];
  readonly rows: readonly ConstraintRow[];
  onChange(rows: readonly ConstraintRow[]): void;
}

let nextKey = 1;

/** Empty values to type into; a boolean has no empty state, so it starts true (as its select shows). */
function blankValues(column: FormColumn | undefined): readonly string[] {
  return valueKind(column?.datatype ?? null) === 'boolean' ? ['true', 'true'] : ['', ''];
}

export function newConstraint(column: FormColumn): ConstraintRow {
  return { key: nextKey++, column: column.name, operator: '=', values: blankValues(column) };
}

export function ConstraintRows({ columns, rows, onChange }: Props) {
  const update = (key: number, change: Partial<Constraint>) =>
    onChange(rows.map((row) => (row.key === key ? { ...row, ...change } : row)));

  return (
    <fieldset className="constraints" aria-label="Column constraints">
      <legend>Constraints</legend>
      {rows.map((row, index) => {
        const column = columns.find((c) => c.name === row.column) ?? columns[0];
        const kind = valueKind(column?.datatype ?? null);
        const operators = operatorsFor(kind);
        const valueInput = (i: number) =>
          kind === 'boolean' ? (
            <select
              aria-label={`Constraint ${index + 1} value`}
              value={row.values[i]}
              onChange={(e) =>
                update(row.key, { values: row.values.map((v, j) => (j === i ? e.target.value : v)) })
              }
            >
              <option value="true">true</option>
              <option value="false">false</option>
            </select>
          ) : (
            <input
              aria-label={`Constraint ${index + 1} ${arity(row.operator) === 2 ? (i === 0 ? 'low' : 'high') : 'value'}`}
              inputMode={kind === 'string' ? 'text' : kind === 'integer' ? 'numeric' : 'decimal'}
              placeholder={kind === 'string' ? (row.operator === 'LIKE' ? 'e.g. %abc%' : 'text') : 'number'}
              value={row.values[i]}
              onChange={(e) =>
                update(row.key, { values: row.values.map((v, j) => (j === i ? e.target.value : v)) })
              }
            />
          );
        return (
          <div className="constraint" key={row.key} data-constraint={index + 1}>
            <div className="cone-row">
              <select
                aria-label={`Constraint ${index + 1} column`}
                value={row.column}
                onChange={(e) => {
                  const next = columns.find((c) => c.name === e.target.value);
                  const nextOperators = operatorsFor(valueKind(next?.datatype ?? null));
                  // A type change may leave the operator meaningless (LIKE on a number) or the value untyped.
                  update(row.key, {
                    column: e.target.value,
                    operator: nextOperators.includes(row.operator) ? row.operator : '=',
                    values: blankValues(next),
                  });
                }}
              >
                {columns.map((c) => (
                  <option key={c.name} value={c.name}>
                    {c.name}
                  </option>
                ))}
              </select>
              <button
                type="button"
                className="icon"
                aria-label={`Remove constraint ${index + 1}`}
                title="Remove"
                onClick={() => onChange(rows.filter((r) => r.key !== row.key))}
              >
                ×
              </button>
            </div>
            <div className="cone-row">
              <select
                aria-label={`Constraint ${index + 1} operator`}
                className="operator"
                value={row.operator}
                onChange={(e) => update(row.key, { operator: e.target.value as Operator })}
              >
                {operators.map((op) => (
                  <option key={op} value={op}>
                    {op}
                  </option>
                ))}
              </select>
              {arity(row.operator) >= 1 && valueInput(0)}
              {arity(row.operator) === 2 && (
                <>
                  <span className="and">and</span>
                  {valueInput(1)}
                </>
              )}
            </div>
          </div>
        );
      })}
      <button
        type="button"
        disabled={columns.length === 0}
        onClick={() => onChange([...rows, newConstraint(columns[0])])}
      >
        + Add constraint
      </button>
    </fieldset>
  );
}
