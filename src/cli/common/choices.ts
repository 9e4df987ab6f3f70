import { InvalidArgumentError } from 'commander';

/**
 * Commander argument parser for a case-insensitive choice (upstream's click options are case-insensitive):
 * `normalise` maps the input to the canonical spelling, anything else is a usage error listing the choices.
 */
export function caseInsensitiveChoice<T extends string>(
  allowed: readonly T[],
  normalise: (value: string) => string = (v) => v.toUpperCase(),
): (value: string) => T {
  return (value: string): T => {
    const v = normalise(value);
    if (!(allowed as readonly string[]).includes(v)) {
      throw new InvalidArgumentError(`allowed choices are ${allowed.join(', ')}`);
    }
    return v as T;
  };
}
