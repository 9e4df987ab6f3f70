/**
 * The Portal: a query page (ADQL editor, schema browser, examples), the results tri-view and the job monitor.
 * State that must survive a reload lives in the URL: `?job=ID` reopens a job's results (a shareable link),
 * `?adql=…&execute=true` runs a query, `?adql=…` only fills the editor, `?ra=…&dec=…&radius=…` (degrees) fills the
 * position search, `?lightcurve=OBJECTID` opens that object's light curve.
 */

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { errorPosition } from './api/adql-error.js';
import type { ResultTable } from './api/json-result.js';
import { type Example, ServiceError, TapClient, UnauthorizedError } from './api/tap-client.js';
import { loadSchema, type SchemaTable } from './api/tap-schema.js';
import { storedToken, storeToken } from './api/token.js';
import { JobMonitor } from './jobs/JobMonitor.js';
import { LightCurvePanel } from './lightcurve/LightCurvePanel.js';
import { isObjectId } from './lightcurve/light-curve-data.js';
import { AdqlEditor, type AdqlEditorHandle, type AdqlError } from './query/AdqlEditor.js';
import { SchemaBrowser } from './query/SchemaBrowser.js';
import { type SearchDefaults, SearchForm } from './query/SearchForm.js';
import { Results } from './results/Results.js';
import { TokenDialog } from './TokenDialog.js';

const DEFAULT_QUERY = `SELECT TOP 1000 objectId, coord_ra, coord_dec, g_cModelFlux, r_cModelFlux
FROM dp02_dc2_catalogs.Object
WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', 62, -37, 0.2)) = 1`;

const DEFAULT_MAXREC = 100_000;

type Status =
  | { readonly kind: 'idle' }
  | { readonly kind: 'running'; readonly jobId: string | null; readonly phase: string }
  | { readonly kind: 'done'; readonly jobId: string; readonly seconds: number }
  | { readonly kind: 'failed'; readonly message: string; readonly hint: string | null };

function setUrlJob(jobId: string | null): void {
  const url = new URL(window.location.href);
  // The light curve on screen stays in the link next to the job.
  const lightCurve = url.searchParams.get('lightcurve');
  url.search = jobId === null ? '' : `?job=${encodeURIComponent(jobId)}`;
  if (lightCurve !== null) url.searchParams.set('lightcurve', lightCurve);
  window.history.replaceState(null, '', url);
}

function setUrlLightCurve(objectId: string | null): void {
  const url = new URL(window.location.href);
  if (objectId === null) url.searchParams.delete('lightcurve');
  else url.searchParams.set('lightcurve', objectId);
  window.history.replaceState(null, '', url);
}

export function App() {
  const client = useMemo(() => new TapClient(), []);
  const params = useMemo(() => new URLSearchParams(window.location.search), []);
  const editor = useRef<AdqlEditorHandle>(null);
  const [adql, setAdql] = useState(params.get('adql') ?? DEFAULT_QUERY);
  // `?ra=…&dec=…&radius=…` (degrees) opens the position search with those values.
  const coneDefaults = useMemo<SearchDefaults | null>(() => {
    const [ra, dec, radius] = [params.get('ra'), params.get('dec'), params.get('radius')];
    if (ra === null && dec === null && radius === null) return null;
    return { ra: ra ?? undefined, dec: dec ?? undefined, radius: radius ?? undefined };
  }, [params]);
  const [schema, setSchema] = useState<readonly SchemaTable[]>([]);
  const [examples, setExamples] = useState<readonly Example[]>([]);
  const [tab, setTab] = useState<'query' | 'jobs'>('query');
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const [adqlError, setAdqlError] = useState<AdqlError | null>(null);
  const [result, setResult] = useState<ResultTable | null>(null);
  /** The ADQL of the shown result's job (the sky plot draws the region it asked for). */
  const [resultQuery, setResultQuery] = useState<string | null>(null);
  const [resultKey, setResultKey] = useState(0);
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [maxrec, setMaxrec] = useState(DEFAULT_MAXREC);
  const [askToken, setAskToken] = useState(false);
  const [signedIn, setSignedIn] = useState(storedToken() !== null);
  const [jobsRevision, setJobsRevision] = useState(0);
  const [lightCurve, setLightCurve] = useState<string | null>(() => {
    const id = params.get('lightcurve');
    return id !== null && isObjectId(id) ? id.trim() : null;
  });
  const openLightCurve = useCallback((objectId: string | null) => {
    setLightCurve(objectId);
    setUrlLightCurve(objectId);
  }, []);
  /** What to do again once a token is given. */
  const retry = useRef<(() => void) | null>(null);
  const running = useRef<AbortController | null>(null);

  const fail = useCallback((err: unknown, again?: () => void) => {
    if (err instanceof UnauthorizedError) {
      retry.current = again ?? null;
      setAskToken(true);
      setStatus({ kind: 'idle' });
      return;
    }
    if (err instanceof DOMException && err.name === 'AbortError') return;
    const message = err instanceof Error ? err.message : String(err);
    setStatus({ kind: 'failed', message, hint: err instanceof ServiceError ? err.hint : null });
  }, []);

  const loadServiceInfo = useCallback(async () => {
    try {
      const [tables, found, json] = await Promise.all([
        loadSchema(client),
        client.examples(),
        client.offersJson(),
      ]);
      setSchema(tables);
      setExamples(found);
      if (!json) {
        const message = 'this TAP service does not offer JSON results, which the Portal reads';
        setStatus({ kind: 'failed', message, hint: 'Use TOPCAT or pyvo with this service.' });
      }
    } catch (err) {
      fail(err, () => void loadServiceInfo());
    }
  }, [client, fail]);

  const showResult = useCallback(
    async (jobId: string, started: number, query: string | null) => {
      const table = await client.result(jobId);
      setSelected(new Set());
      setResult(table);
      setResultQuery(query);
      setResultKey((k) => k + 1);
      setStatus({ kind: 'done', jobId, seconds: (performance.now() - started) / 1000 });
    },
    [client],
  );

  /** An ERROR job's message (with its hint, and its position marked in the editor for a syntax error). */
  const showJobError = useCallback(
    async (jobId: string, summary: string | null) => {
      const error = await client
        .jobError(jobId)
        .catch(() => new ServiceError(summary ?? 'the job failed without saying why'));
      const position = errorPosition(error.message);
      setAdqlError(position === null ? null : { ...position, message: error.message });
      setStatus({ kind: 'failed', message: error.message, hint: error.hint });
    },
    [client],
  );

  const openJob = useCallback(
    async (jobId: string) => {
      const started = performance.now();
      setTab('query');
      setStatus({ kind: 'running', jobId, phase: 'loading' });
      try {
        const job = await client.job(jobId);
        if (job.query !== null) editor.current?.setText(job.query);
        if (job.phase === 'COMPLETED') await showResult(jobId, started, job.query);
        else if (job.phase === 'ERROR') {
          setResult(null); // the rows on screen are not this job's
          await showJobError(jobId, job.errorMessage);
        } else setStatus({ kind: 'failed', message: `job ${jobId} is ${job.phase}`, hint: null });
        setUrlJob(jobId);
      } catch (err) {
        fail(err, () => void openJob(jobId));
      }
    },
    [client, fail, showResult, showJobError],
  );

  /** Runs `text` (by default the editor's query) as an async job and shows its result. */
  const run = useCallback(
    async (text: string = adql, limit: number = maxrec) => {
      running.current?.abort();
      const controller = new AbortController();
      running.current = controller;
      const started = performance.now();
      setAdqlError(null);
      setStatus({ kind: 'running', jobId: null, phase: 'submitting' });
      try {
        const jobId = await client.submit(text, limit);
        setUrlJob(jobId);
        setJobsRevision((r) => r + 1);
        setStatus({ kind: 'running', jobId, phase: 'EXECUTING' });
        const job = await client.waitForJob(jobId, controller.signal);
        // Marks for the browser tests' timings: from the job's end to its rows on screen is the Portal's own time.
        performance.mark('portal:job-finished');
        if (job.phase === 'COMPLETED') await showResult(jobId, started, text);
        else if (job.phase === 'ERROR') await showJobError(jobId, job.errorMessage);
        else setStatus({ kind: 'failed', message: `the job ended ${job.phase}`, hint: null });
        setJobsRevision((r) => r + 1);
      } catch (err) {
        fail(err, () => void run(text, limit));
      }
    },
    [adql, maxrec, client, fail, showResult, showJobError],
  );

  const abortRun = async () => {
    running.current?.abort();
    if (status.kind === 'running' && status.jobId !== null) {
      await client.abort(status.jobId).catch((err) => fail(err));
    }
    setStatus({ kind: 'failed', message: 'aborted', hint: null });
  };

  useEffect(() => {
    if (result !== null) requestAnimationFrame(() => performance.mark('portal:rows-shown'));
  }, [result]);

  // First load: service info, then what the URL asks for.
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, at start-up
  useEffect(() => {
    void loadServiceInfo();
    const job = params.get('job');
    if (job !== null) void openJob(job);
    else if (params.get('adql') !== null && params.get('execute') === 'true') void run();
  }, []);

  const signIn = (token: string) => {
    storeToken(token);
    setSignedIn(true);
    setAskToken(false);
    const again = retry.current;
    retry.current = null;
    again?.();
  };

  return (
    <div className="app">
      <header className="topbar">
        <h1>Meridian Portal</h1>
        <nav>
          <button
            type="button"
            className={tab === 'query' ? 'tab active' : 'tab'}
            onClick={() => setTab('query')}
          >
            Query
          </button>
          <button
            type="button"
            className={tab === 'jobs' ? 'tab active' : 'tab'}
            onClick={() => setTab('jobs')}
          >
            Jobs
          </button>
        </nav>
        <span className="spacer" />
        {signedIn ? (
          <button
            type="button"
            onClick={() => {
              storeToken(null);
              setSignedIn(false);
            }}
          >
            Sign out
          </button>
        ) : (
          <span className="muted">anonymous</span>
        )}
      </header>
      {tab === 'jobs' ? (
        <main className="jobs-page">
          <JobMonitor
            client={client}
            revision={jobsRevision}
            onOpen={(id) => void openJob(id)}
            onRerun={(query, limit) => {
              setTab('query');
              setAdql(query);
              if (limit !== null) setMaxrec(limit);
              // The editor mounts with the query page; it starts from `adql`, set just above.
              void run(query, limit ?? maxrec);
            }}
            onFailure={fail}
          />
        </main>
      ) : (
        <main className="query-page">
          <aside className="sidebar">
            <details className="cone" open={coneDefaults !== null}>
              <summary>Search by form</summary>
              <SearchForm
                schema={schema}
                defaults={coneDefaults ?? {}}
                onSearch={(text) => {
                  editor.current?.setText(text);
                  setAdql(text);
                  void run(text);
                }}
              />
            </details>
            <h2>Tables</h2>
            <SchemaBrowser schema={schema} onInsert={(text) => editor.current?.insert(text)} />
          </aside>
          <section className="workspace">
            <div className="query-bar">
              <AdqlEditor
                ref={editor}
                initialText={adql}
                schema={schema}
                error={adqlError}
                onChange={setAdql}
                onRun={() => void run()}
              />
              <div className="query-actions">
                {status.kind === 'running' ? (
                  <button type="button" onClick={() => void abortRun()}>
                    Abort
                  </button>
                ) : (
                  <button type="button" className="primary" onClick={() => void run()} title="Ctrl/⌘-Enter">
                    Run
                  </button>
                )}
                <label>
                  Row limit{' '}
                  <input
                    type="number"
                    min={0}
                    value={maxrec}
                    onChange={(e) => setMaxrec(Math.max(0, Number(e.target.value) || 0))}
                  />
                </label>
                <select
                  aria-label="Examples"
                  value=""
                  onChange={(e) => {
                    const example = examples[Number(e.target.value)];
                    if (example !== undefined) editor.current?.setText(example.query);
                  }}
                >
                  <option value="">Examples…</option>
                  {examples.map((example, i) => (
                    <option key={example.name} value={i}>
                      {example.name}
                    </option>
                  ))}
                </select>
                <StatusLine status={status} result={result} selected={selected.size} />
              </div>
            </div>
            {lightCurve !== null && (
              <LightCurvePanel
                client={client}
                objectId={lightCurve}
                onObject={openLightCurve}
                onClose={() => openLightCurve(null)}
                onFailure={fail}
              />
            )}
            {result !== null ? (
              // A new result starts with fresh views: no sort, filters or derived columns of the last one.
              <Results
                key={resultKey}
                result={result}
                query={resultQuery}
                selected={selected}
                onSelect={setSelected}
                onLightCurve={openLightCurve}
              />
            ) : lightCurve !== null ? null : (
              <div className="welcome">
                <h2>Query the catalog</h2>
                <p>
                  Write ADQL above (Ctrl-Space completes table and column names), pick one of the service's
                  examples, or click a table or column on the left to insert its name. Run sends the query as
                  an async TAP job; its rows appear here as a table, a sky plot and a chart, linked by
                  selection.
                </p>
                <p className="muted">
                  Jobs lists your earlier queries. A link with <code>?job=…</code> reopens a result, and{' '}
                  <code>?adql=…&amp;execute=true</code> runs a query.
                </p>
              </div>
            )}
          </section>
        </main>
      )}
      {askToken && <TokenDialog onSubmit={signIn} />}
    </div>
  );
}

function StatusLine({
  status,
  result,
  selected,
}: {
  status: Status;
  result: ResultTable | null;
  selected: number;
}) {
  switch (status.kind) {
    case 'idle':
      return <span className="status muted">Ctrl/⌘-Enter runs the query</span>;
    case 'running':
      return (
        <span className="status running">{status.phase === 'submitting' ? 'Submitting…' : 'Running…'}</span>
      );
    case 'failed':
      return (
        <span className="status error" role="alert">
          {status.message}
          {status.hint !== null && <span className="hint"> — {status.hint}</span>}
        </span>
      );
    case 'done':
      return (
        <span className="status ok" data-rows={result?.rowCount}>
          {result?.rowCount.toLocaleString('en-US')} rows
          {result?.status === 'OVERFLOW' ? ' (row limit reached)' : ''} in {status.seconds.toFixed(2)} s
          {selected > 0 ? ` · ${selected.toLocaleString('en-US')} selected` : ''}
        </span>
      );
  }
}
