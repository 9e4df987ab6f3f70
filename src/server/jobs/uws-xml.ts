/**
 * UWS 1.1 XML documents (UWS.xsd, namespace `http://www.ivoa.net/xml/UWS/v1.0`, `version="1.1"`): the job, the job
 * list, parameters and results. Element order follows the schema's sequence.
 */

import { escapeXml } from '../../formats/index.js';
import type { Job } from './store.js';

const NAMESPACES =
  'xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n';

function element(name: string, value: string | null): string {
  return value === null ? `<uws:${name} xsi:nil="true"/>` : `<uws:${name}>${escapeXml(value)}</uws:${name}>`;
}

function parametersElement(job: Job): string {
  const parameters = Object.entries(job.parameters)
    .map(([id, value]) => `  <uws:parameter id="${escapeXml(id)}">${escapeXml(value)}</uws:parameter>`)
    .join('\n');
  return `<uws:parameters>\n${parameters}\n</uws:parameters>`;
}

function resultsElement(job: Job, jobUrl: string): string {
  if (job.result === null) return '<uws:results/>';
  return `<uws:results>\n  <uws:result id="result" xlink:type="simple" xlink:href="${escapeXml(`${jobUrl}/results/result`)}" mime-type="${escapeXml(job.result.mime)}"/>\n</uws:results>`;
}

/**
 * The result's row count and whether MAXREC cut it, in `uws:jobInfo` (UWS.xsd's place for service-specific content;
 * a `rows` attribute on `uws:result` is not allowed), so a job list can show row counts without reading results.
 */
function jobInfoElement(job: Job): string[] {
  if (job.result === null) return [];
  return [
    `<uws:jobInfo><rows>${job.result.rows}</rows><overflow>${job.result.overflow}</overflow></uws:jobInfo>`,
  ];
}

export function jobDocument(job: Job, jobUrl: string): string {
  const parts = [
    element('jobId', job.jobId),
    ...(job.runId === null ? [] : [element('runId', job.runId)]),
    element('ownerId', job.ownerId),
    element('phase', job.phase),
    element('quote', null),
    element('creationTime', job.creationTime),
    element('startTime', job.startTime),
    element('endTime', job.endTime),
    element('executionDuration', String(job.executionDuration)),
    element('destruction', job.destruction),
    parametersElement(job),
    resultsElement(job, jobUrl),
    ...(job.error === null
      ? []
      : [
          `<uws:errorSummary type="fatal" hasDetail="true">${element('message', job.error.message)}</uws:errorSummary>`,
        ]),
    ...jobInfoElement(job),
  ];
  return `${PROLOG}<uws:job ${NAMESPACES} version="1.1">\n${parts.join('\n')}\n</uws:job>\n`;
}

export function jobListDocument(jobs: readonly Job[], listUrl: string): string {
  const refs = jobs.map(
    (job) =>
      `<uws:jobref id="${job.jobId}" xlink:type="simple" xlink:href="${escapeXml(`${listUrl}/${job.jobId}`)}">${element('phase', job.phase)}${
        job.runId === null ? '' : element('runId', job.runId)
      }${element('ownerId', job.ownerId)}${element('creationTime', job.creationTime)}</uws:jobref>`,
  );
  return `${PROLOG}<uws:jobs ${NAMESPACES} version="1.1">\n${refs.join('\n')}${refs.length > 0 ? '\n' : ''}</uws:jobs>\n`;
}

export function parametersDocument(job: Job): string {
  return `${PROLOG}${parametersElement(job).replace('<uws:parameters>', `<uws:parameters ${NAMESPACES}>`)}\n`;
}

export function resultsDocument(job: Job, jobUrl: string): string {
  const body = resultsElement(job, jobUrl);
  return `${PROLOG}${body.replace(/^<uws:results/, `<uws:results ${NAMESPACES}`)}\n`;
}
