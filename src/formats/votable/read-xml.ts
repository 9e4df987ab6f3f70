/**
 * A small non-validating XML 1.0 scanner for the VOTable reader: start tags with attributes, end tags, character
 * data (entity references and CDATA decoded), comments and processing instructions skipped. It is written for
 * untrusted uploads: a DOCTYPE is refused (no entity expansion, no external entities), nesting is bounded, and every
 * failure is VOTABLE_INVALID naming the line and what was wrong. Element and attribute names lose any namespace
 * prefix (`vot:TABLE` is `TABLE`), as VOTable readers do.
 */

import { meridianError } from '../../errors.js';

export interface XmlHandler {
  open(name: string, attributes: ReadonlyMap<string, string>, at: number): void;
  close(name: string, at: number): void;
  text(text: string, at: number): void;
}

/** The 1-based line of an offset, for error messages (computed only when one is raised). */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

export function votableInvalid(text: string, offset: number, what: string): Error {
  const line = lineAt(text, offset);
  return meridianError('VOTABLE_INVALID', `malformed VOTable at line ${line}: ${what}`, { line });
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ATTRIBUTE = /\s+([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;
const TAG_END = /\s*(\/?)>/y;
const ENTITY = /&(#x[0-9A-Fa-f]{1,6}|#[0-9]{1,7}|[A-Za-z]+);/g;
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function localName(name: string): string {
  const colon = name.lastIndexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

function decodeEntities(raw: string, source: string, at: number): string {
  if (!raw.includes('&')) return raw;
  if (raw.replace(ENTITY, '').includes('&')) throw votableInvalid(source, at, 'a bare & (write &amp;)');
  return (raw = raw.replace(ENTITY, (whole, body: string) => {
    if (body.startsWith('#')) {
      const code = body[1] === 'x' ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) || code === 0) {
        throw votableInvalid(source, at, `character reference ${whole} is not a character`);
      }
      return String.fromCodePoint(code);
    }
    const value = PREDEFINED[body];
    if (value === undefined) throw votableInvalid(source, at, `unknown entity ${whole}`);
    return value;
  }));
}

/** Scans a whole document, calling `handler` in document order; at most `maxDepth` nested elements. */
export function scanXml(source: string, handler: XmlHandler, maxDepth = 64): void {
  const stack: string[] = [];
  let sawRoot = false;
  let i = source.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = source.length;
  while (i < n) {
    const lt = source.indexOf('<', i);
    const end = lt < 0 ? n : lt;
    if (end > i) {
      const raw = source.slice(i, end);
      if (stack.length === 0) {
        if (raw.trim() !== '') throw votableInvalid(source, i, 'text outside the root element');
      } else {
        if (raw.includes('&')) {
          // Entity decoding needs the raw text whole: a reference never spans a tag.
          handler.text(decodeEntities(raw, source, i), i);
        } else handler.text(raw, i);
      }
    }
    if (lt < 0) break;
    if (source.startsWith('<!--', lt)) {
      const close = source.indexOf('-->', lt + 4);
      if (close < 0) throw votableInvalid(source, lt, 'a comment is not closed');
      i = close + 3;
      continue;
    }
    if (source.startsWith('<![CDATA[', lt)) {
      const close = source.indexOf(']]>', lt + 9);
      if (close < 0) throw votableInvalid(source, lt, 'a CDATA section is not closed');
      if (stack.length === 0) throw votableInvalid(source, lt, 'CDATA outside the root element');
      handler.text(source.slice(lt + 9, close), lt);
      i = close + 3;
      continue;
    }
    if (source.startsWith('<?', lt)) {
      const close = source.indexOf('?>', lt + 2);
      if (close < 0) throw votableInvalid(source, lt, 'a processing instruction is not closed');
      i = close + 2;
      continue;
    }
    if (source.startsWith('<!', lt)) {
      throw votableInvalid(source, lt, 'DOCTYPE and other declarations are not accepted in an upload');
    }
    if (source.startsWith('</', lt)) {
      const close = source.indexOf('>', lt);
      if (close < 0) throw votableInvalid(source, lt, 'an end tag is not closed');
      const name = source.slice(lt + 2, close).trim();
      const open = stack.pop();
      if (open !== name) {
        throw votableInvalid(
          source,
          lt,
          open === undefined ? `</${name}> closes nothing` : `</${name}> found where </${open}> was expected`,
        );
      }
      handler.close(localName(name), lt);
      i = close + 1;
      continue;
    }
    NAME.lastIndex = lt + 1;
    const nameMatch = NAME.exec(source);
    if (!nameMatch) throw votableInvalid(source, lt, 'a < that starts no tag (write &lt;)');
    if (stack.length === 0 && sawRoot) throw votableInvalid(source, lt, 'a second root element');
    const attributes = new Map<string, string>();
    let at = NAME.lastIndex;
    for (;;) {
      ATTRIBUTE.lastIndex = at;
      const attribute = ATTRIBUTE.exec(source);
      if (!attribute) break;
      attributes.set(localName(attribute[1]), decodeEntities(attribute[2] ?? attribute[3], source, at));
      at = ATTRIBUTE.lastIndex;
    }
    TAG_END.lastIndex = at;
    const tagEnd = TAG_END.exec(source);
    if (!tagEnd) throw votableInvalid(source, at, `the tag <${nameMatch[0]}> is malformed or not closed`);
    if (stack.length >= maxDepth) {
      throw votableInvalid(source, lt, `elements nest deeper than ${maxDepth} levels`);
    }
    sawRoot = true;
    const name = localName(nameMatch[0]);
    handler.open(name, attributes, lt);
    if (tagEnd[1] === '/') handler.close(name, lt);
    else stack.push(nameMatch[0]);
    i = TAG_END.lastIndex;
  }
  if (stack.length > 0) {
    throw votableInvalid(source, n, `the document ends inside <${stack[stack.length - 1]}>`);
  }
  if (!sawRoot) throw votableInvalid(source, 0, 'no root element');
}
