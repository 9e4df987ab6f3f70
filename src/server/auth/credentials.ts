/**
 * The token a request presents, from its Authorization header: `Bearer <token>`, or HTTP Basic in either of the
 * forms GitHub-style clients use (Gafaelfawr accepts both): user `x-oauth-basic` with the token as password (what
 * Rubin tells TOPCAT and pyvo users to type), or the token as user with `x-oauth-basic` (or nothing) as password.
 * With any other user name the password is taken as the token, since TOPCAT users often type their own name.
 */

export const BASIC_TOKEN_MARKER = 'x-oauth-basic';

export type Credentials =
  | { readonly kind: 'none' }
  | { readonly kind: 'token'; readonly token: string }
  /** An Authorization header we cannot read (unknown scheme, bad base64, no colon). */
  | { readonly kind: 'malformed'; readonly scheme: string };

const NONE: Credentials = Object.freeze({ kind: 'none' });

export function credentialsOf(header: string | string[] | undefined): Credentials {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (value === undefined || value === '') return NONE;
  const space = value.indexOf(' ');
  const scheme = (space < 0 ? value : value.slice(0, space)).toLowerCase();
  const rest = space < 0 ? '' : value.slice(space + 1).trim();
  // Only the scheme name, cut short, is ever repeated in a message: the rest may be a secret.
  const malformed: Credentials = { kind: 'malformed', scheme: scheme.slice(0, 20) };
  if (rest === '') return malformed;
  if (scheme === 'bearer') return { kind: 'token', token: rest };
  if (scheme !== 'basic' || !/^[A-Za-z0-9+/]+=*$/.test(rest)) return malformed;
  const decoded = Buffer.from(rest, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return malformed;
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  // `curl -u TOKEN:` sends the token as user with an empty password.
  const token = password === BASIC_TOKEN_MARKER || password === '' ? user : password;
  return token === '' ? malformed : { kind: 'token', token };
}
