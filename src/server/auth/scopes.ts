/**
 * Token scopes: what a token lets its holder do. Names follow Rubin's Gafaelfawr scopes where they exist
 * (`read:tap`, `read:image`); `read:butler`, `exec:bps` and `admin` are ours. Every route declares the one scope it
 * needs in `config.scope`, or `public` for the few resources clients read to discover the service (health, VOSI
 * availability and capabilities).
 */

import { meridianError } from '../../errors.js';

export const SCOPES = ['read:tap', 'read:image', 'read:butler', 'exec:bps', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** What a route declares in `config.scope`. */
export type RouteScope = Scope | 'public';
export const ROUTE_SCOPES: readonly RouteScope[] = [...SCOPES, 'public'];

/** The scopes of a request without credentials when anonymous access is on: reading, never running or managing. */
export const ANONYMOUS_SCOPES: readonly Scope[] = Object.freeze(['read:tap', 'read:image', 'read:butler']);

/** The user name of requests without credentials (and the owner of their async jobs). */
export const ANONYMOUS_USER = 'anonymous';

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

export function isRouteScope(value: unknown): value is RouteScope {
  return value === 'public' || isScope(value);
}

/** Scope names as given (repeated or comma-separated), checked and deduplicated in the canonical order. */
export function parseScopes(given: readonly string[]): Scope[] {
  const wanted = new Set<string>();
  for (const item of given) for (const name of item.split(/[\s,]+/)) if (name !== '') wanted.add(name);
  for (const name of wanted) {
    if (!isScope(name)) {
      throw meridianError(
        'AUTH_UNKNOWN_SCOPE',
        `unknown scope ${JSON.stringify(name.slice(0, 40))}; the scopes are ${SCOPES.join(', ')}`,
        { scope: name.slice(0, 40) },
      );
    }
  }
  if (wanted.size === 0) {
    throw meridianError('AUTH_UNKNOWN_SCOPE', `a token needs at least one scope: ${SCOPES.join(', ')}`);
  }
  return SCOPES.filter((s) => wanted.has(s));
}
