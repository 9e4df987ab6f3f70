/**
 * "Download as displayed" in Chromium against a real server on the fixture catalog: Download → CSV saves a file
 * (through Playwright's download event) holding exactly what the table shows — after a derived column, a row
 * filter and a descending sort — with every objectId's 19 digits intact; a column hidden with the column chooser is
 * left out of the table and the file.
 */

import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchChromium, type PortalServer, portalServer } from './browser-support.js';

const ADQL = 'SELECT TOP 40 objectId, coord_ra, coord_dec FROM dp02_dc2_catalogs.Object';

/** Clicks Download → the format and returns the saved file's name and text. */
async function download(page: Page, format: 'CSV' | 'VOTable'): Promise<{ name: string; text: string }> {
  await page.getByRole('button', { name: /^Download/ }).click();
  const [saved] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('menuitem', { name: format }).click(),
  ]);
  return { name: saved.suggestedFilename(), text: readFileSync((await saved.path())!, 'utf8') };
}

/** The CSV's header and rows; these values have no quotes or commas, so splitting is enough here. */
function parseCsv(text: string): { header: string[]; rows: string[][] } {
  expect(text.endsWith('\r\n')).toBe(true);
  const [header, ...rows] = text
    .slice(0, -2)
    .split('\r\n')
    .map((line) => line.split(','));
  return { header, rows };
}

describe.skipIf(!browserAvailable())('download as displayed in Chromium', () => {
  let browser: Browser;
  let portal: PortalServer;
  let page: Page;

  beforeAll(async () => {
    [browser, portal] = await Promise.all([launchChromium(), portalServer('portal-export')]);
    page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  it('Download → CSV saves the filtered, sorted rows with the derived column and exact ids', async () => {
    await page.goto(`${portal.portalUrl}?adql=${encodeURIComponent(ADQL)}&execute=true`);
    await page.locator('.status.ok, .status.error').waitFor();
    expect(await page.locator('.status.error').count()).toBe(0);

    const all = await download(page, 'CSV');
    expect(all.name).toBe('result.csv');
    const full = parseCsv(all.text);
    expect(full.header).toEqual(['objectId', 'coord_ra', 'coord_dec']);
    expect(full.rows.length).toBe(40);
    expect(full.rows.every(([id]) => /^\d{17,19}$/.test(id))).toBe(true);
    const ras = full.rows.map((row) => Number(row[1])).sort((a, b) => a - b);
    const median = ras[20];

    await page.getByLabel('New column').fill('coord_ra * 2 AS ra2');
    await page.getByRole('button', { name: 'Add column' }).click();
    await page.getByRole('button', { name: /^ra2/ }).waitFor();
    await page.getByLabel('Row filter').fill(`coord_ra < ${median}`);
    await page.getByLabel('Row filter').press('Enter');
    await expect.poll(() => page.locator('.result-table').getAttribute('data-rows')).toBe('20');
    const raHeader = page.getByRole('button', { name: /^coord_ra/ });
    await raHeader.click();
    await raHeader.click();
    expect(await raHeader.getAttribute('data-sort')).toBe('descending');

    const shown = parseCsv((await download(page, 'CSV')).text);
    expect(shown.header).toEqual(['objectId', 'coord_ra', 'coord_dec', 'ra2']);
    const expected = full.rows
      .filter((row) => Number(row[1]) < median)
      .sort((a, b) => Number(b[1]) - Number(a[1]));
    expect(shown.rows.map((row) => row.slice(0, 3))).toEqual(expected);
    for (const [, ra, , ra2] of shown.rows) expect(Number(ra2)).toBeCloseTo(2 * Number(ra), 9);
    // The first row the table shows is the first row of the file, id digit for digit.
    const firstCell = await page.locator('.result-row').first().locator('.cell').nth(1).textContent();
    expect(shown.rows[0][0]).toBe(firstCell);

    const votable = await download(page, 'VOTable');
    expect(votable.name).toBe('result.vot');
    expect(votable.text).toContain('<FIELD name="ra2" datatype="double"/>');
    expect(votable.text).toContain(`<TD>${shown.rows[0][0]}</TD>`);
    expect(votable.text.match(/<TR>/g)?.length).toBe(20);
  });

  it('hides a column with the column chooser, and the download leaves it out too', async () => {
    await page.getByRole('button', { name: /^Columns \(4\/4\)/ }).click();
    await page.getByRole('group', { name: 'Shown columns' }).getByLabel('coord_dec').uncheck();
    await page.getByRole('button', { name: /^Columns \(3\/4\)/ }).click(); // closes the menu
    expect(await page.getByRole('group', { name: 'Shown columns' }).count()).toBe(0);
    expect(await page.locator('.header-cell').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^objectId/)]),
    );
    expect(await page.locator('.header-cell', { hasText: 'coord_dec' }).count()).toBe(0);
    const shown = parseCsv((await download(page, 'CSV')).text);
    expect(shown.header).toEqual(['objectId', 'coord_ra', 'ra2']);
    expect(shown.rows.length).toBe(20);
    // Showing it again brings it back in its place.
    await page.getByRole('button', { name: /^Columns \(3\/4\)/ }).click();
    await page.getByRole('group', { name: 'Shown columns' }).getByLabel('coord_dec').check();
    expect(parseCsv((await download(page, 'CSV')).text).header).toEqual([
      'objectId',
      'coord_ra',
      'coord_dec',
      'ra2',
    ]);
  });
});
