/**
 * The bearer token for this browser tab. Kept in sessionStorage (gone when the tab closes, never shared with other
 * tabs or written to disk as a cookie would be) and sent only to this server's own API, never in a URL.
 */

const KEY = 'meridian.portal.token';

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  if (token === null || token.trim() === '') sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, token.trim());
}
