/**
 * Reading YAML files whose every error must name the file, line and column: duplicate keys at any depth are refused
 * (the `yaml` package's `uniqueKeys`), and a zod issue is mapped back to the node it is about (or, for an unknown
 * key, the key itself) through the document's ranges and a LineCounter.
 */
import { type Document, isMap, isPair, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { meridianError } from '../../errors.js';

export interface YamlSource {
  /** The file name as shown in messages. */
  readonly source: string;
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
}

export function positionText(source: string, lines: LineCounter, offset: number): string {
  const { line, col } = lines.linePos(offset);
  return `${source}:${line}:${col}`;
}

export function yamlError(source: string, lines: LineCounter, offset: number, message: string) {
  const { line, col } = lines.linePos(offset);
  return meridianError('PIPELINE_INVALID', `${source}:${line}:${col}: ${message}`, {
    file: source,
    line,
    column: col,
  });
}

/** Parse YAML text; PIPELINE_INVALID at the first syntax error or duplicate key. */
export function readYamlSource(text: string, source: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, lineCounter: lines, prettyErrors: false });
  const first = doc.errors[0];
  if (first !== undefined) {
    const message =
      first.code === 'DUPLICATE_KEY'
        ? `duplicate key ${duplicateKeyName(doc, first.pos[0])}`.trimEnd()
        : first.message.split('\n')[0]!;
    throw yamlError(source, lines, first.pos[0], message);
  }
  return { source, doc, lines };
}

/** The text of the duplicated key at `offset`, for the message (the parser's own message does not name it). */
function duplicateKeyName(doc: Document.Parsed, offset: number): string {
  let found = '';
  const visit = (node: unknown): void => {
    if (found !== '' || node === null || typeof node !== 'object') return;
    if (isPair(node)) {
      const key = node.key as Node | null;
      if (isScalar(key) && key.range?.[0] === offset) {
        found = `'${String(key.value)}'`;
        return;
      }
      visit(node.key);
      visit(node.value);
      return;
    }
    const items = (node as { items?: unknown[] }).items;
    if (Array.isArray(items)) for (const item of items) visit(item);
  };
  visit(doc.contents);
  return found;
}

/** The offset of the node at `path`, or of the closest ancestor that exists. */
export function offsetOf(src: YamlSource, path: readonly PropertyKey[], key?: string): number {
  for (let n = path.length; n >= 0; n--) {
    const node = src.doc.getIn(path.slice(0, n) as unknown[], true) as Node | undefined;
    if (node === undefined || node === null) continue;
    if (key !== undefined && n === path.length && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
      const keyNode = pair?.key as Node | undefined;
      if (keyNode?.range) return keyNode.range[0];
    }
    if (node.range) return node.range[0];
  }
  return 0;
}

type Issue = z.core.$ZodIssue;

/**
 * The most useful issue of a failed parse: in a union, the branch whose type matched the value (so that an
 * unknown key inside `{class, config}` is reported, not "expected string"); unknown keys before missing ones.
 */
function bestIssue(issues: readonly Issue[], prefix: readonly PropertyKey[] = []): Issue {
  const ranked = [...issues].sort((a, b) => rank(a) - rank(b));
  const issue = ranked[0]!;
  if (issue.code === 'invalid_union') {
    const matched = issue.errors.filter(
      (branch) => !branch.every((i) => i.code === 'invalid_type' && i.path.length === 0),
    );
    if (matched.length >= 1) {
      return bestIssue(matched[0]!, [...prefix, ...issue.path]);
    }
  }
  return { ...issue, path: [...prefix, ...issue.path] } as Issue;
}

function rank(issue: Issue): number {
  if (issue.code === 'unrecognized_keys') return 0;
  if (issue.code === 'invalid_union') return 1;
  return 2;
}

/** Validate the document (or a part of it) with a zod schema; PIPELINE_INVALID at the offending node. */
export function parseWith<S extends z.ZodType>(
  src: YamlSource,
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = bestIssue(result.error.issues);
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const where = path.length > 0 ? `${path.join('.')}: ` : '';
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    throw yamlError(
      src.source,
      src.lines,
      offsetOf(src, path, key),
      `${where}unknown key '${key}' in ${what}${knownKeysText(issue.message)}`,
    );
  }
  const message = issue.message.replace(/^Invalid input: /, '');
  throw yamlError(src.source, src.lines, offsetOf(src, path), `${where}${message}`);
}

function knownKeysText(message: string): string {
  return message.startsWith('Unrecognized key') ? '' : ` (${message})`;
}
