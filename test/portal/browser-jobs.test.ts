/**
 * The job monitor in Chromium against a real server on the fixture catalog: each job's row count (from the job's
 * uws:jobInfo, with "+" when MAXREC cut it), re-run (the same query and row limit as a new job), an ERROR job's
 * message in the list and when opened, and delete.
 */

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchChromium, type PortalServer, portalServer } from './browser-support.js';

const GOOD = 'SELECT TOP 25 objectId, coord_ra, coord_dec FROM dp02_dc2_catalogs.Object';
// Valid syntax, so the job is created and fails when it runs: the error comes from the job, not the submission.
const BAD = 'SELECT no_such_column FROM dp02_dc2_catalogs.Object';

async function runByUrl(page: Page, portalUrl: string, adql: string): Promise<string> {
  await page.goto(`${portalUrl}?adql=${encodeURIComponent(adql)}&execute=true`);
  await page.locator('.status.ok, .status.error').waitFor();
  await page.waitForURL((url) => url.searchParams.has('job'));
  return new URL(page.url()).searchParams.get('job')!;
}

describe.skipIf(!browserAvailable())('job monitor in Chromium', () => {
  let browser: Browser;
  let portal: PortalServer;
  let page: Page;
  let goodJob: string;
  let badJob: string;

  beforeAll(async () => {
    [browser, portal] = await Promise.all([launchChromium(), portalServer('portal-jobs')]);
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    goodJob = await runByUrl(page, portal.portalUrl, GOOD);
    expect(await page.locator('.status.ok').getAttribute('data-rows')).toBe('25');
    badJob = await runByUrl(page, portal.portalUrl, BAD);
    expect(await page.locator('.status.error').textContent()).toMatch(/no_such_column/);
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  const row = (id: string) => page.locator(`table.jobs tbody tr[data-job="${id}"]`);

  it('shows each job’s row count, and an ERROR job’s message in its row', async () => {
    await page.getByRole('button', { name: 'Jobs', exact: true }).click();
    await row(goodJob).waitFor();
    await expect.poll(() => row(goodJob).locator('td.number').textContent()).toBe('25');
    expect(await row(badJob).getAttribute('data-phase')).toBe('ERROR');
    await expect.poll(() => row(badJob).locator('.job-error').textContent()).toMatch(/no_such_column/);
    expect(await row(badJob).locator('td.number').textContent()).toBe('');
  });

  it('marks a result cut by the row limit with "+"', async () => {
    await page.goto(`${portal.portalUrl}?adql=${encodeURIComponent(GOOD)}`);
    await page.getByLabel('Row limit').fill('10');
    await page.getByRole('button', { name: 'Run' }).click();
    await expect.poll(() => page.locator('.status.ok').getAttribute('data-rows')).toBe('10');
    const limited = new URL(page.url()).searchParams.get('job')!;
    await page.getByRole('button', { name: 'Jobs', exact: true }).click();
    await expect.poll(() => row(limited).locator('td.number').textContent()).toBe('10+');
  });

  it('opening an ERROR job shows its error message and query', async () => {
    await row(badJob).getByRole('button', { name: 'Open' }).click();
    await page.locator('.status.error').waitFor();
    expect(await page.locator('.status.error').textContent()).toMatch(/no_such_column/);
    expect(await page.locator('.cm-content').textContent()).toContain('no_such_column');
    expect(new URL(page.url()).searchParams.get('job')).toBe(badJob);
    expect(await page.locator('.result-table').count()).toBe(0);
  });

  it('re-runs a job as a new job with the same query and row limit', async () => {
    await page.getByRole('button', { name: 'Jobs', exact: true }).click();
    await row(goodJob).waitFor();
    const before = await page.locator('table.jobs tbody tr').count();
    await row(goodJob).getByRole('button', { name: 'Re-run' }).click();
    await page.locator('.status.ok').waitFor();
    expect(await page.locator('.status.ok').getAttribute('data-rows')).toBe('25');
    const rerun = new URL(page.url()).searchParams.get('job')!;
    expect(rerun).not.toBe(goodJob);
    expect(await page.locator('.cm-content').textContent()).toContain('SELECT TOP 25 objectId');
    await page.getByRole('button', { name: 'Jobs', exact: true }).click();
    await row(rerun).waitFor();
    expect(await page.locator('table.jobs tbody tr').count()).toBe(before + 1);
    await expect.poll(() => row(rerun).locator('td.number').textContent()).toBe('25');
    expect(await row(rerun).locator('.query-cell').textContent()).toBe(GOOD);
  });

  it('deletes a job', async () => {
    await row(badJob).getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => row(badJob).count()).toBe(0);
    const response = await page.request.get(`${portal.server.url}/api/tap/async/${badJob}`);
    expect(response.status()).toBe(404);
  });
});
