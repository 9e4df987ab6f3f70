import { InvalidArgumentError } from 'commander';

/**
 * Commander argument parsers for numeric options and arguments, shared by every program. A value that does not
 * parse throws commander's InvalidArgumentError, which commander reports as a usage error (exit status 2) before
 * any command runs.
 */

/** A finite number (`0.5`, `-37`, `1e-3`); blank text is not zero. */
export function parseNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) {
    throw new InvalidArgumentError(`expected a number, got '${value}'`);
  }
  return n;
}

/** A whole number, possibly negative (a seed, a count that the library checks further). */
export function parseInteger(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(`expected an integer, got '${value}'`);
  }
  return n;
}

/**
 * Digits only (`--limit`, `--stripes`, a transaction ID): a count or an ID is never written `1e3` or `5.0`, so
 * those are refused rather than guessed at.
 */
export function parseNonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(`expected a non-negative integer, got '${value}'`);
  }
  return n;
}

/** A number greater than zero (`--timeout 0.5`): zero or less is refused, not read as "no limit". */
export function parsePositiveNumber(value: string): number {
  const n = parseNumber(value);
  if (n <= 0) throw new InvalidArgumentError(`expected a number greater than 0, got '${value}'`);
  return n;
}
