/**
 * The job monitor: the service's async jobs (the query history) with phase, duration and row count (from the job's
 * `uws:jobInfo`); open (a completed job's rows, or an ERROR job's message), re-run (same query and row limit, a new
 * job), abort, delete.
 */

import { useCallback, useEffect, useRef, useState } from 'react';
import { isActive, type JobDetails, type JobSummary, type TapClient } from '../api/tap-client.js';

interface Props {
  readonly client: TapClient;
  /** Bumped by the app when it starts a job, so the list refreshes at once. */
  readonly revision: number;
  /** Opens a job: its query in the editor and its rows, or its error message. */
  onOpen(id: string): void;
  /** Runs the query again as a new job, with the same row limit (MAXREC) when the job had one. */
  onRerun(query: string, maxrec: number | null): void;
  onFailure(err: unknown): void;
}

const REFRESH_MS = 3000;

function duration(job: JobDetails | undefined): string {
  if (job?.startTime == null || job.endTime == null) return '';
  const seconds = (Date.parse(job.endTime) - Date.parse(job.startTime)) / 1000;
  return Number.isFinite(seconds) ? `${seconds.toFixed(2)} s` : '';
}

function rowCount(job: JobDetails | undefined): string {
  if (job?.rows == null) return '';
  // "+" as TOPCAT and Firefly mark a truncated result: there were more rows than MAXREC let through.
  return `${job.rows.toLocaleString('en-US')}${job.overflow ? '+' : ''}`;
}

function limitOf(job: JobDetails | undefined): number | null {
  const maxrec = Number(job?.maxrec ?? Number.NaN);
  return Number.isInteger(maxrec) && maxrec >= 0 ? maxrec : null;
}

export function JobMonitor({ client, revision, onOpen, onRerun, onFailure }: Props) {
  const [jobs, setJobs] = useState<readonly JobSummary[] | null>(null);
  // The list has no queries or times: each job's document is read once it has ended (it no longer changes).
  const details = useRef(new Map<string, JobDetails>());
  const refresh = useCallback(async () => {
    try {
      const listed = await client.jobs();
      const missing = listed.filter((job) => {
        const known = details.current.get(job.id);
        return known === undefined || isActive(known.phase) || known.phase !== job.phase;
      });
      await Promise.all(
        missing.map(async (job) =>
          details.current.set(job.id, await client.job(job.id).catch(() => job as JobDetails)),
        ),
      );
      setJobs(listed);
    } catch (err) {
      onFailure(err);
    }
  }, [client, onFailure]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: revision is the signal to refresh
  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [refresh, revision]);

  const act = async (action: () => Promise<void>) => {
    try {
      await action();
    } catch (err) {
      onFailure(err);
    }
    await refresh();
  };

  if (jobs === null) return <p className="muted">Loading jobs…</p>;
  if (jobs.length === 0) return <p className="muted">No jobs yet: run a query.</p>;
  return (
    <table className="jobs">
      <thead>
        <tr>
          <th>Created</th>
          <th>Phase</th>
          <th>Duration</th>
          <th className="number">Rows</th>
          <th>Query</th>
          <th>Job</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {jobs.map((job) => {
          const known = details.current.get(job.id);
          const query = known?.query ?? null;
          return (
            <tr key={job.id} data-job={job.id} data-phase={job.phase}>
              <td>{job.creationTime?.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') ?? ''}</td>
              <td>
                <span className={`phase phase-${job.phase.toLowerCase()}`}>{job.phase}</span>
              </td>
              <td>{duration(known)}</td>
              <td className="number" data-rows={known?.rows ?? undefined}>
                {rowCount(known)}
              </td>
              <td className="mono query-cell" title={query ?? undefined}>
                {query ?? ''}
                {known?.errorMessage != null && <div className="job-error">{known.errorMessage}</div>}
              </td>
              <td className="mono" title={job.id}>
                {job.id.slice(0, 8)}
              </td>
              <td>
                <div className="actions">
                  <button
                    type="button"
                    disabled={job.phase !== 'COMPLETED' && job.phase !== 'ERROR'}
                    title={job.phase === 'ERROR' ? 'Show the query and its error' : 'Show the rows'}
                    onClick={() => onOpen(job.id)}
                  >
                    Open
                  </button>
                  <button
                    type="button"
                    disabled={query === null}
                    title="Run the same query again as a new job"
                    onClick={() => query !== null && onRerun(query, limitOf(known))}
                  >
                    Re-run
                  </button>
                  <button
                    type="button"
                    disabled={!isActive(job.phase)}
                    onClick={() => act(() => client.abort(job.id))}
                  >
                    Abort
                  </button>
                  <button type="button" onClick={() => act(() => client.remove(job.id))}>
                    Delete
                  </button>
                </div>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
