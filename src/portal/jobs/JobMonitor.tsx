/** The job monitor: the service's async jobs (the query history) with phase and times; open, abort, delete. */

import { useCallback, useEffect, useState } from 'react';
import { isActive, type JobSummary, type TapClient } from '../api/tap-client.js';

interface Props {
  readonly client: TapClient;
  /** Bumped by the app when it starts a job, so the list refreshes at once. */
  readonly revision: number;
  onOpen(id: string): void;
  onFailure(err: unknown): void;
}

const REFRESH_MS = 3000;

export function JobMonitor({ client, revision, onOpen, onFailure }: Props) {
  const [jobs, setJobs] = useState<readonly JobSummary[] | null>(null);
  const refresh = useCallback(async () => {
    try {
      setJobs(await client.jobs());
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
          <th>Job</th>
          <th>Run id</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {jobs.map((job) => (
          <tr key={job.id} data-job={job.id}>
            <td>{job.creationTime?.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') ?? ''}</td>
            <td>
              <span className={`phase phase-${job.phase.toLowerCase()}`}>{job.phase}</span>
            </td>
            <td className="mono">{job.id.slice(0, 12)}…</td>
            <td>{job.runId ?? ''}</td>
            <td className="actions">
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
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
