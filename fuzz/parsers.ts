/**
 * Parser fuzzing: every input must either be accepted or refused with a coded Meridian error (never INTERNAL,
 * never an uncoded exception such as a stack overflow or a RangeError), and none may take more than a second.
 */

import { formatExpression, parseExpression } from '../src/butler/expression/index.js';
import { duckdbDialect, parseAdql, postgresDialect, printAdql, toSql } from '../src/catalog/adql/index.js';
import { isMeridianError } from '../src/errors.js';
import { adqlQuery, fuzzInput, type Random, seededRandom, whereText } from './inputs.js';

export interface FuzzFailure {
  readonly index: number;
  readonly input: string;
  readonly error: string;
}

export interface FuzzReport {
  readonly target: string;
  readonly seed: number;
  readonly inputs: number;
  readonly accepted: number;
  /** Refusals by error code. */
  readonly refused: Readonly<Record<string, number>>;
  /** Inputs that ended in an uncoded or INTERNAL error (first 20 kept). */
  readonly uncoded: readonly FuzzFailure[];
  readonly uncodedCount: number;
  /** Inputs that took longer than `slowMs` (first 20 kept). */
  readonly slow: readonly FuzzFailure[];
  readonly slowCount: number;
  readonly slowestMs: number;
  readonly seconds: number;
}

export interface FuzzTarget {
  readonly name: string;
  readonly generate: (rand: Random) => string;
  readonly run: (text: string) => void;
}

export const ADQL_TARGET: FuzzTarget = {
  name: 'ADQL (parse, print, compile for DuckDB and PostgreSQL)',
  generate: adqlQuery,
  run(text) {
    const tree = parseAdql(text);
    parseAdql(printAdql(tree));
    toSql(tree, duckdbDialect);
    toSql(tree, postgresDialect);
  },
};

export const WHERE_TARGET: FuzzTarget = {
  name: 'butler where (parse, format, parse again)',
  generate: whereText,
  run(text) {
    const tree = parseExpression(text);
    if (tree !== null) parseExpression(formatExpression(tree));
  },
};

export interface FuzzOptions {
  readonly inputs: number;
  readonly seed: number;
  readonly slowMs?: number;
  /** Called every 10,000 inputs (progress on a terminal). */
  readonly onProgress?: (done: number) => void;
}

function timeOnce(target: FuzzTarget, input: string): number {
  const start = performance.now();
  try {
    target.run(input);
  } catch {}
  return performance.now() - start;
}

export function fuzz(target: FuzzTarget, options: FuzzOptions): FuzzReport {
  const rand = seededRandom(options.seed);
  const slowMs = options.slowMs ?? 1000;
  const refused: Record<string, number> = {};
  const uncoded: FuzzFailure[] = [];
  const slow: FuzzFailure[] = [];
  let accepted = 0;
  let uncodedCount = 0;
  let slowCount = 0;
  let slowestMs = 0;
  const t0 = performance.now();
  for (let index = 0; index < options.inputs; index++) {
    const input = fuzzInput(rand, target.generate);
    const start = performance.now();
    try {
      target.run(input);
      accepted++;
    } catch (err) {
      if (isMeridianError(err) && err.code !== 'INTERNAL') refused[err.code] = (refused[err.code] ?? 0) + 1;
      else {
        uncodedCount++;
        if (uncoded.length < 20) uncoded.push({ index, input, error: String((err as Error)?.stack ?? err) });
      }
    }
    let ms = performance.now() - start;
    // A pause of the process (garbage collection, a busy machine) is not the input's cost: an input over the bound
    // is timed again twice and judged by its fastest run.
    if (ms > slowMs) ms = Math.min(ms, timeOnce(target, input), timeOnce(target, input));
    slowestMs = Math.max(slowestMs, ms);
    if (ms > slowMs) {
      slowCount++;
      if (slow.length < 20) slow.push({ index, input, error: `${ms.toFixed(0)} ms` });
    }
    if (options.onProgress && (index + 1) % 10_000 === 0) options.onProgress(index + 1);
  }
  return {
    target: target.name,
    seed: options.seed,
    inputs: options.inputs,
    accepted,
    refused,
    uncoded,
    uncodedCount,
    slow,
    slowCount,
    slowestMs,
    seconds: (performance.now() - t0) / 1000,
  };
}
