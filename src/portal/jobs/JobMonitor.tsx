/** The job monitor: the service's async jobs (the query history) with phase and times; open, abort, delete. */

import { useCallback, useEffect, useRef, useState } from 'react';
import { isActive, type JobDetails, type JobSummary, type TapClient } from '../api/tap-client.js';

interface Props {
  readonly client: TapClient;
  /** Bumped by the app when it starts a job, so the list refreshes at once. */
  readonly revision: number;
  onOpen(id: string): void;
  onFailure(err: unknown): void;
}

const REFRESH_MS = 3000;

function duration(job: JobDetails | undefined): string {
  if (job?.startTime == null || job.endTime == null) return '';
  const seconds = (Date.parse(job.endTime) - Date.parse(job.startTime)) / 1000;
  return Number.isFinite(seconds) ? `${seconds.toFixed(2)} s` : '';
}

export function JobMonitor({ client, revision, onOpen, onFailure }: Props) {
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
          <th>Query</th>
          <th>Job</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {jobs.map((job) => (
          <tr key={job.id} data-job={job.id} data-phase={job.phase}>
            <td>{job.creationTime?.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') ?? ''}</td>
            <td>
              <span className={`phase phase-${job.phase.toLowerCase()}`}>{job.phase}</span>
            </td>
            <td>{duration(details.current.get(job.id))}</td>
            <td className="mono query-cell" title={details.current.get(job.id)?.query ?? undefined}>
              {details.current.get(job.id)?.query ?? ''}
            </td>
            <td className="mono" title={job.id}>
              {job.id.slice(0, 8)}
            </td>
            <td>
              <div className="actions">
                <button type="button" disabled={job.phase !== 'COMPLETED'} onClick={() => onOpen(job.id)}>
                  Open
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
        ))}
      </tbody>
    </table>
  );
}
