/**
 * The light-curve view: an objectId (from the selected row, the URL's `?lightcurve=`, or typed in), its forced
 * photometry fetched through the TAP client, and a plot in flux or AB magnitude with a one-band filter.
 */

import { useEffect, useMemo, useState } from 'react';
import type { ResultTable } from '../api/json-result.js';
import type { TapClient } from '../api/tap-client.js';
import { LightCurveChart } from './LightCurveChart.js';
import { isObjectId, type LightCurveUnit, lightCurveQuery, shapeLightCurve } from './light-curve-data.js';

interface Props {
  readonly client: TapClient;
  readonly objectId: string;
  /** Another object typed in. */
  onObject(objectId: string): void;
  onClose(): void;
  /** A failure the page handles (a 401 asks for a token, then `retry`). */
  onFailure(err: unknown, retry: () => void): void;
}

type Load =
  | { readonly kind: 'loading' }
  | { readonly kind: 'done'; readonly table: ResultTable }
  | { readonly kind: 'failed'; readonly message: string };

export function LightCurvePanel({ client, objectId, onObject, onClose, onFailure }: Props) {
  const [load, setLoad] = useState<Load>({ kind: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [unit, setUnit] = useState<LightCurveUnit>('mag');
  const [band, setBand] = useState<string>('all');
  const [typed, setTyped] = useState(objectId);

  useEffect(() => setTyped(objectId), [objectId]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` re-runs the fetch after a sign-in
  useEffect(() => {
    let current = true;
    setLoad({ kind: 'loading' });
    setBand('all');
    client
      .sync(lightCurveQuery(objectId))
      .then((table) => current && setLoad({ kind: 'done', table }))
      .catch((err: unknown) => {
        if (!current) return;
        setLoad({ kind: 'failed', message: err instanceof Error ? err.message : String(err) });
        onFailure(err, () => setAttempt((a) => a + 1));
      });
    return () => {
      current = false;
    };
  }, [client, objectId, attempt]);

  const curve = useMemo(
    () => (load.kind === 'done' ? shapeLightCurve(load.table, unit) : null),
    [load, unit],
  );
  const shown = useMemo(
    () =>
      curve === null || band === 'all'
        ? curve
        : { ...curve, bands: curve.bands.filter((b) => b.band === band) },
    [curve, band],
  );
  const points = curve?.bands.reduce((sum, b) => sum + b.mjd.length, 0) ?? 0;

  return (
    <section className="lightcurve" aria-label="Light curve view">
      <header>
        <h3>Light curve</h3>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (isObjectId(typed)) onObject(typed.trim());
          }}
        >
          <label>
            objectId{' '}
            <input
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              aria-invalid={!isObjectId(typed)}
              size={22}
            />
          </label>{' '}
          <button type="submit" disabled={!isObjectId(typed)}>
            Show
          </button>
        </form>
        <fieldset className="segmented" aria-label="Light curve unit">
          {(['mag', 'flux'] as const).map((u) => (
            <label key={u}>
              <input type="radio" name="lightcurve-unit" checked={unit === u} onChange={() => setUnit(u)} />
              {u === 'mag' ? 'AB mag' : 'Flux (nJy)'}
            </label>
          ))}
        </fieldset>
        <label>
          Band{' '}
          <select value={band} onChange={(e) => setBand(e.target.value)} aria-label="Band filter">
            <option value="all">all</option>
            {curve?.bands.map((b) => (
              <option key={b.band} value={b.band}>
                {b.band}
              </option>
            ))}
          </select>
        </label>
        <span className="spacer" />
        <span className="muted status" data-points={points}>
          {load.kind === 'loading'
            ? 'Loading…'
            : load.kind === 'done'
              ? `${points} points in ${curve?.bands.length ?? 0} bands` +
                (unit === 'mag' ? ' (fluxes ≤ 0 have no magnitude)' : '')
              : ''}
        </span>
        <button type="button" onClick={onClose} aria-label="Close light curve">
          ×
        </button>
      </header>
      {load.kind === 'failed' ? (
        <p className="status error" role="alert">
          {load.message}
        </p>
      ) : shown !== null && points === 0 ? (
        <p className="muted">No forced photometry for objectId {objectId}.</p>
      ) : shown !== null ? (
        <LightCurveChart curve={shown} />
      ) : null}
    </section>
  );
}
