/**
 * `meridian token create | list | revoke`: the server's API tokens (a thin layer over TokenStore; docs/auth.md).
 * The store is the one `meridian serve` uses: `tokens.sqlite3` in the catalog directory, or `--tokens-db`.
 */

import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { meridianError } from '../errors.js';
import { SCOPES, type TokenInfo, TokenStore } from '../server/index.js';
import { printJson } from './common/json.js';
import { appendCommaSeparated } from './common/list-options.js';
import { printTable } from './common/table.js';

interface StoreOptions {
  catalog?: string;
  tokensDb?: string;
}

async function withTokenStore<T>(o: StoreOptions, use: (store: TokenStore) => Promise<T>): Promise<T> {
  if (o.catalog === undefined && o.tokensDb === undefined) {
    throw meridianError(
      'INVALID_ARGUMENT',
      'say where the tokens are: --catalog DIR (the directory `meridian serve --catalog` serves) or --tokens-db URL',
    );
  }
  const dir = o.catalog ?? process.cwd();
  if (o.catalog !== undefined && !statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw meridianError('FILE_NOT_FOUND', `no catalog directory ${dir}`, { path: dir });
  }
  const store = await TokenStore.open({ defaultDir: dir, database: o.tokensDb });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

function withStoreOptions(command: Command): Command {
  return command
    .option('--catalog <dir>', 'catalog directory served by `meridian serve` (its tokens.sqlite3)')
    .option(
      '--tokens-db <url>',
      'token store: SQLite file or postgresql:// URL (as `meridian serve --tokens-db`)',
    );
}

function tableRow(token: TokenInfo) {
  const state =
    token.revoked !== null
      ? 'revoked'
      : token.expires !== null && token.expires <= new Date().toISOString()
        ? 'expired'
        : 'active';
  return { ...token, state, expires: token.expires ?? 'never', lastUsed: token.lastUsed ?? 'never' };
}

export function registerTokenCommands(program: Command): Command {
  const token = program
    .command('token')
    .description(
      'API tokens for `meridian serve` (scopes: read:tap, read:image, read:butler, exec:bps, admin)',
    );

  withStoreOptions(
    token
      .command('create')
      .description('create a token and print it once (only a hash of its secret is kept)')
      .requiredOption('--user <name>', 'the user the token acts as (owner of their async jobs)')
      .requiredOption(
        '--scope <scope>',
        `a scope the token grants, repeatable or comma-separated: ${SCOPES.join(', ')}`,
        appendCommaSeparated,
      )
      .option('--label <text>', 'what the token is for, shown by `token list`')
      .option(
        '--expires <when>',
        'expiry: a duration from now (30d, 12h, 45m, 2w) or an ISO 8601 time; default never',
      )
      .option('--json', 'print the token and its record as JSON'),
  )
    .addHelpText(
      'after',
      `
Example:
  meridian token create --catalog demo-work/catalog-db --user alice --scope read:tap --scope read:image --expires 30d
  curl -H "Authorization: Bearer mrd_..." http://127.0.0.1:8080/api/tap/tables`,
    )
    .action(
      async (
        o: StoreOptions & { user: string; scope: string[]; label?: string; expires?: string; json?: boolean },
      ) => {
        const created = await withTokenStore(o, (store) =>
          store.create({ user: o.user, scopes: o.scope, label: o.label, expires: o.expires }),
        );
        if (o.json) {
          printJson({ token: created.token, ...created.info });
          return;
        }
        process.stdout.write(`${created.token}\n`);
        const { info } = created;
        process.stderr.write(
          `token ${info.id} for ${info.user}, scopes ${info.scopes.join(' ')}, expires ${info.expires ?? 'never'}\n` +
            'This is the only time the token is shown: keep it like a password.\n',
        );
      },
    );

  withStoreOptions(
    token
      .command('list')
      .description('list tokens (never their secrets): active ones, or all with --all')
      .option('--user <name>', "only this user's tokens")
      .option('--all', 'include revoked and expired tokens')
      .option('--json', 'print a JSON array'),
  ).action(async (o: StoreOptions & { user?: string; all?: boolean; json?: boolean }) => {
    const tokens = await withTokenStore(o, (store) => store.list({ user: o.user, includeInactive: o.all }));
    if (o.json) {
      printJson(tokens);
      return;
    }
    printTable(
      tokens.map(tableRow),
      ['id', 'user', 'scopes', 'label', 'created', 'expires', 'lastUsed', ...(o.all ? ['state'] : [])],
      'No tokens.',
    );
  });

  withStoreOptions(
    token
      .command('revoke')
      .description('revoke a token: the next request with it is refused')
      .argument('<ID>', 'token id (from `token list`), or the token itself')
      .option('--json', 'print the revoked token record as JSON'),
  ).action(async (id: string, o: StoreOptions & { json?: boolean }) => {
    const revoked = await withTokenStore(o, (store) => store.revoke(id));
    if (o.json) printJson(revoked);
    else process.stdout.write(`revoked token ${revoked.id} of ${revoked.user}\n`);
  });

  return token;
}
