import { type MeridianError, meridianError } from '../../errors.js';
import type { Pos } from './tree.js';

/** The line of `source` holding `pos`, with a caret under the column, for error details and terminal output. */
export function caretExcerpt(source: string, pos: Pos): string {
  const lineStart = pos.offset - (pos.column - 1);
  const newline = source.indexOf('\n', lineStart);
  const lineText = source.slice(lineStart, newline === -1 ? source.length : newline).replace(/\r$/, '');
  // Tabs are kept so that the caret lines up with the text when both are printed by the same terminal.
  const padding = lineText.slice(0, pos.column - 1).replace(/[^\t]/g, ' ');
  return `${lineText}\n${padding}^`;
}

/**
 * The one error a `where` expression syntax problem raises: `QUERY_SYNTAX` with the position in the message and
 * structured details (`line`, `column`, `offset`, `expected`, `found`, `expression`, `excerpt`, optional `hint`).
 */
export function whereSyntaxError(
  source: string,
  pos: Pos,
  expected: string,
  found: string,
  hint?: string,
): MeridianError {
  const message =
    `Syntax error in where expression at line ${pos.line}, column ${pos.column}: expected ${expected}, found ${found}` +
    (hint === undefined ? '' : ` (${hint})`);
  return meridianError('QUERY_SYNTAX', message, {
    line: pos.line,
    column: pos.column,
    offset: pos.offset,
    expected,
    found,
    expression: source,
    excerpt: caretExcerpt(source, pos),
    ...(hint === undefined ? {} : { hint }),
  });
}
