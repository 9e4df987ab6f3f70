#!/usr/bin/env node
// Writes docs/errors.md from the error table in src/errors.ts (via the built dist/errors.js).
// `node scripts/gen-errors-doc.js --check` exits 1 if the file is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { ERROR_CODES } from '../dist/errors.js';

export function renderErrorsDoc(codes) {
  const lines = [
    '# Error codes',
    '',
    'Every error Meridian raises carries a stable `code`. Programs should match on the code, not on the message.',
    'On the command line an error prints as `PROGRAM: error [CODE]: message` followed by a hint, and the program exits',
    'with status 1 (2 for a usage error). Over HTTP the same code travels in the JSON body (`{"error": {"code", "message", "hint"}}`)',
    'or, for TAP, in the VOTable `QUERY_STATUS=ERROR` document, with the HTTP status listed here.',
    '',
    'This page is generated from `src/errors.ts` by `node scripts/gen-errors-doc.js`.',
    '',
  ];
  const areas = [...new Set(Object.values(codes).map((c) => c.area))];
  for (const area of areas) {
    lines.push(`## ${area}`, '', '| code | HTTP | meaning | what to do |', '|---|---|---|---|');
    for (const [code, info] of Object.entries(codes)) {
      if (info.area !== area) continue;
      const esc = (s) => s.replaceAll('|', '\\|');
      lines.push(`| \`${code}\` | ${info.http} | ${esc(info.summary)} | ${esc(info.hint)} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

const target = new URL('../docs/errors.md', import.meta.url);
const text = renderErrorsDoc(ERROR_CODES);
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {}
  if (current !== text) {
    console.error('docs/errors.md is out of date: run `npm run build && node scripts/gen-errors-doc.js`');
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  console.log('wrote docs/errors.md');
}
