/** Asked when the server answers 401: a token for this browser session (kept in sessionStorage, sent as Bearer). */

import { useState } from 'react';

interface Props {
  onSubmit(token: string): void;
}

export function TokenDialog({ onSubmit }: Props) {
  const [token, setToken] = useState('');
  return (
    <div className="overlay">
      <form
        className="dialog"
        aria-label="Sign in"
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim() !== '') onSubmit(token.trim());
        }}
      >
        <h2>Sign in</h2>
        <p>This service needs an access token. Paste the token you were given (`meridian token create`).</p>
        <input
          type="password"
          name="token"
          autoComplete="off"
          placeholder="token"
          value={token}
          onChange={(e) => setToken(e.target.value)}
        />
        <p className="muted">It is kept only for this browser tab and sent only to this server.</p>
        <button type="submit" className="primary">
          Sign in
        </button>
      </form>
    </div>
  );
}
