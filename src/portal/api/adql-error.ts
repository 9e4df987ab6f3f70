/**
 * Where an ADQL error is. The server's messages say "… at line L, column C: …" (src/catalog/adql/cursor.ts); the
 * editor turns that into a character range to underline. Pure, so test/portal/adql-error.test.ts runs it in Node.
 */

export interface ErrorPosition {
  readonly line: number;
  readonly column: number;
}

export function errorPosition(message: string): ErrorPosition | null {
  const match = /\bline (\d+), column (\d+)/i.exec(message);
  if (match === null) return null;
  return { line: Number(match[1]), column: Number(match[2]) };
}

/**
 * The [from, to) offsets in `text` to mark for a 1-based line and column: the word that starts there, or one
 * character; a position past the end of its line (or of the text) marks the last character so it stays visible.
 */
export function errorRange(text: string, position: ErrorPosition): { from: number; to: number } {
  const lines = text.split('\n');
  const lineIndex = Math.min(Math.max(position.line, 1), lines.length) - 1;
  let lineStart = 0;
  for (let i = 0; i < lineIndex; i++) lineStart += lines[i].length + 1;
  const lineText = lines[lineIndex];
  const column = Math.min(Math.max(position.column, 1), Math.max(lineText.length, 1)) - 1;
  const from = lineStart + column;
  const word = /^[\w.]+/.exec(lineText.slice(column));
  const to = from + Math.max(word?.[0].length ?? 1, 1);
  if (from >= text.length) return { from: Math.max(text.length - 1, 0), to: text.length };
  return { from, to: Math.min(to, text.length) };
}
