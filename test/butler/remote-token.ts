import { TokenStore } from '../../src/server/index.js';

/** A real read token in the token store a server on `catalogDir` uses by default, so RemoteButler passes its auth. */
export async function readerToken(catalogDir: string): Promise<string> {
  const tokens = await TokenStore.open({ defaultDir: catalogDir });
  try {
    return (await tokens.create({ user: 'reader', scopes: ['read:butler', 'read:image'] })).token;
  } finally {
    await tokens.close();
  }
}
