/**
 * The search form, the table's column order and keyboard, and Parquet "as displayed", in Chromium against a real
 * server on the fixture catalog: a polygon search with column constraints gives the same rows as the same search
 * written by hand in ADQL; a column moved (column chooser and drag) is where the CSV puts it; arrows, Space and
 * Shift-arrows select rows; the Parquet download, read back with DuckDB, holds the displayed rows and columns in
 * order; menus close on an outside click and on Escape. `MERIDIAN_PORTAL_SCREENSHOTS=1` writes
 * docs/portal/query-form.png.
 */

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { buildFixtureCatalog, generateFixture, temporaryDir } from '../catalog/helpers.js';
import { browserAvailable, launchChromium, type PortalServer, portalServer } from './browser-support.js';

const SCREENSHOTS = process.env.MERIDIAN_PORTAL_SCREENSHOTS === '1' ? resolve('docs/portal') : null;

const VERTICES = [
  [62.0, -37.1],
  [62.2, -37.1],
  [62.2, -36.9],
  [62.0, -36.9],
] as const;

/** Clicks Download → the format and returns the saved file's path and name. */
async function download(page: Page, format: 'CSV' | 'Parquet'): Promise<{ name: string; path: string }> {
  await page.getByRole('button', { name: /^Download/ }).click();
  const [saved] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('menuitem', { name: format }).click(),
  ]);
  return { name: saved.suggestedFilename(), path: (await saved.path())! };
}

/** A CSV with no quoted fields (these values have none) as header and rows. */
function readCsv(path: string): { header: string[]; rows: string[][] } {
  const [header, ...rows] = readFileSync(path, 'utf8')
    .trimEnd()
    .split('\r\n')
    .map((line) => line.split(','));
  return { header, rows };
}

async function shownRows(page: Page): Promise<number> {
  await page.locator('.status.ok, .status.error').waitFor();
  expect(await page.locator('.status.error').count()).toBe(0);
  return Number(await page.locator('.status.ok').getAttribute('data-rows'));
}

describe.skipIf(!browserAvailable())('search form, column order, keyboard and Parquet in Chromium', () => {
  let browser: Browser;
  let portal: PortalServer;
  let page: Page;

  beforeAll(async () => {
    [browser, portal] = await Promise.all([launchChromium(), portalServer('portal-form')]);
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  it('a polygon search with column constraints returns the same rows as the same search in ADQL', async () => {
    await page.goto(portal.portalUrl);
    const form = page.getByRole('form', { name: 'Search form' });
    await page.locator('details.cone summary').click();
    await form.getByLabel('Generated ADQL').waitFor();
    await form.getByRole('radio', { name: 'Polygon' }).check();

    // Too few vertices are refused before anything runs.
    const vertices = form.locator('textarea[name="polygon"]');
    await vertices.fill('62 -37\n62.1 -37');
    expect(await form.getByRole('alert').textContent()).toMatch(/at least 3 vertices/);
    expect(await form.getByRole('button', { name: 'Search' }).isDisabled()).toBe(true);
    await vertices.fill(VERTICES.map(([ra, dec]) => `${ra} ${dec}`).join('\n'));

    await form.getByRole('button', { name: '+ Add constraint' }).click();
    await form.getByLabel('Constraint 1 column').selectOption('detect_isPrimary');
    expect(await form.getByLabel('Constraint 1 operator').locator('option').allTextContents()).toEqual([
      '=',
      '!=',
      'IS NULL',
      'IS NOT NULL',
    ]);
    await form.getByLabel('Constraint 1 value').selectOption('true');
    await form.getByRole('button', { name: '+ Add constraint' }).click();
    await form.getByLabel('Constraint 2 column').selectOption('g_cModelFlux');
    await form.getByLabel('Constraint 2 operator').selectOption('>');
    await form.getByLabel('Constraint 2 value').fill('1e3x');
    expect(await form.getByRole('alert').textContent()).toMatch(/g_cModelFlux: "1e3x" is not a number/);
    await form.getByLabel('Constraint 2 value').fill('1000');

    const columns = form.getByRole('group', { name: 'Columns to return' });
    await columns.getByRole('button', { name: 'None' }).click();
    expect(await form.getByRole('alert').textContent()).toMatch(/at least one column/);
    for (const name of ['objectId', 'coord_ra', 'coord_dec', 'g_cModelFlux']) {
      await columns.getByLabel(name, { exact: true }).check();
    }
    const generated = await form.getByLabel('Generated ADQL').textContent();
    expect(generated).toBe(
      [
        'SELECT objectId, coord_ra, coord_dec, g_cModelFlux',
        'FROM dp02_dc2_catalogs.Object',
        "WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec),",
        "      POLYGON('ICRS', 62, -37.1, 62.2, -37.1, 62.2, -36.9, 62, -36.9)) = 1",
        '  AND detect_isPrimary = 1',
        '  AND g_cModelFlux > 1000',
      ].join('\n'),
    );
    if (SCREENSHOTS !== null) {
      await columns.locator('.column-list').evaluate((list) => list.scrollTo(0, 0));
      await page.screenshot({ path: `${SCREENSHOTS}/query-form.png` });
    }

    await form.getByRole('button', { name: 'Search' }).click();
    const byForm = await shownRows(page);
    expect(byForm).toBeGreaterThan(5);
    expect(await page.locator('.cm-content').textContent()).toContain('POLYGON');
    const formCsv = readCsv((await download(page, 'CSV')).path);
    expect(formCsv.header).toEqual(['objectId', 'coord_ra', 'coord_dec', 'g_cModelFlux']);

    // The same search written differently: vertices as POINTs, the constraints turned around.
    const points = VERTICES.map(([ra, dec]) => `POINT('ICRS', ${ra}, ${dec})`).join(', ');
    const adql = `SELECT objectId, coord_ra, coord_dec, g_cModelFlux FROM dp02_dc2_catalogs.Object
      WHERE 1000 < g_cModelFlux AND detect_isPrimary <> 0
        AND CONTAINS(POINT('ICRS', coord_ra, coord_dec), POLYGON('ICRS', ${points})) = 1`;
    await page.goto(`${portal.portalUrl}?adql=${encodeURIComponent(adql)}&execute=true`);
    expect(await shownRows(page)).toBe(byForm);
    const adqlCsv = readCsv((await download(page, 'CSV')).path);
    const sorted = (rows: string[][]) => rows.map((row) => row.join(',')).sort();
    expect(sorted(adqlCsv.rows)).toEqual(sorted(formCsv.rows));
    expect(
      formCsv.rows.every(([, ra, dec, flux]) => {
        const [r, d, f] = [Number(ra), Number(dec), Number(flux)];
        return r >= 62 && r <= 62.2 && d >= -37.1 && d <= -36.9 && f > 1000;
      }),
    ).toBe(true);
  });

  it('moves columns with the column chooser and by dragging a header, and the CSV follows', async () => {
    const adql = 'SELECT TOP 30 objectId, coord_ra, coord_dec, g_cModelFlux FROM dp02_dc2_catalogs.Object';
    await page.goto(`${portal.portalUrl}?adql=${encodeURIComponent(adql)}&execute=true`);
    await shownRows(page);
    const headers = () => page.locator('.result-header [role="columnheader"] button').allTextContents();

    await page.getByRole('button', { name: /^Columns/ }).click();
    const chooser = page.getByRole('group', { name: 'Shown columns' });
    await chooser.locator('[data-column="g_cModelFlux"]').getByRole('button', { name: 'Move left' }).click();
    await chooser.locator('[data-column="g_cModelFlux"]').getByRole('button', { name: 'Move left' }).click();
    expect((await headers()).map((h) => h.replace(/deg$|nJy$/, ''))).toEqual([
      'objectId',
      'g_cModelFlux',
      'coord_ra',
      'coord_dec',
    ]);
    // Escape closes the menu; so does a click outside it.
    await page.keyboard.press('Escape');
    await expect.poll(() => chooser.count()).toBe(0);

    // Drag coord_dec onto objectId: it takes objectId's place.
    await page
      .getByRole('button', { name: /^coord_dec/ })
      .dragTo(page.getByRole('button', { name: /^objectId/ }));
    expect((await headers()).map((h) => h.replace(/deg$|nJy$/, ''))).toEqual([
      'coord_dec',
      'objectId',
      'g_cModelFlux',
      'coord_ra',
    ]);

    const csv = readCsv((await download(page, 'CSV')).path);
    expect(csv.header).toEqual(['coord_dec', 'objectId', 'g_cModelFlux', 'coord_ra']);
    expect(csv.rows).toHaveLength(30);
    const firstRow = await page.locator('.result-row[aria-rowindex="2"] [role="gridcell"]').allTextContents();
    expect(csv.rows[0][1]).toBe(firstRow[2]); // the objectId, digit for digit, in its moved place

    await page.getByRole('button', { name: /^Download/ }).click();
    await page.getByRole('menu').waitFor();
    await page
      .locator('.welcome, .views')
      .first()
      .click({ position: { x: 5, y: 5 } });
    await expect.poll(() => page.getByRole('menu').count()).toBe(0);
  });

  it('is an ARIA grid: arrows move the active row, Space selects, Shift-arrows extend', async () => {
    const adql = 'SELECT TOP 500 objectId, coord_ra FROM dp02_dc2_catalogs.Object';
    await page.goto(`${portal.portalUrl}?adql=${encodeURIComponent(adql)}&execute=true`);
    await shownRows(page);
    const grid = page.getByRole('grid', { name: 'Result rows' });
    expect(await grid.getAttribute('aria-rowcount')).toBe('501');
    expect(await grid.getAttribute('aria-multiselectable')).toBe('true');
    expect(await page.getByRole('columnheader').count()).toBe(3);
    // Virtualised: far fewer rows in the DOM than in the grid, each with its index.
    const rendered = await page.getByRole('row').count();
    expect(rendered).toBeLessThan(100);
    expect(await page.locator('[role="row"][aria-rowindex="2"] [role="gridcell"]').count()).toBe(3);

    await grid.focus();
    const active = () => grid.getAttribute('aria-activedescendant');
    // The active row's index, or null while it is not (yet) rendered: the grid then names no active descendant.
    const activeRow = async () => {
      const id = await active();
      return id === null
        ? null
        : page.locator(`[id="${id}"]`).getAttribute('aria-rowindex', { timeout: 1000 });
    };
    await expect.poll(activeRow).toBe('2');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await activeRow()).toBe('4');
    await page.keyboard.press('Space');
    const selectedRows = () => page.locator('[role="row"][aria-selected="true"]').count();
    expect(await selectedRows()).toBe(1);
    await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Shift+ArrowDown');
    expect(await selectedRows()).toBe(3);
    expect(await page.locator('.status.ok').textContent()).toContain('3 selected');
    await page.keyboard.press('Shift+ArrowUp');
    expect(await selectedRows()).toBe(2);
    await page.keyboard.press('Space'); // the active row (the range's end) leaves the selection
    expect(await selectedRows()).toBe(1);

    // End reaches the last row, which the virtualiser brings into the DOM.
    await page.keyboard.press('End');
    await expect.poll(activeRow).toBe('501');
    expect(await page.locator('.result-row.active').isVisible()).toBe(true);

    // Sorting is announced on the column.
    await page.getByRole('button', { name: /^coord_ra/ }).click();
    expect(await page.getByRole('columnheader', { name: /^coord_ra/ }).getAttribute('aria-sort')).toBe(
      'ascending',
    );
  });

  it('downloads Parquet as displayed (through TAP_UPLOAD), which DuckDB reads back to the same rows', async () => {
    const adql = 'SELECT TOP 60 objectId, coord_ra, coord_dec, g_cModelFlux FROM dp02_dc2_catalogs.Object';
    await page.goto(`${portal.portalUrl}?adql=${encodeURIComponent(adql)}&execute=true`);
    await shownRows(page);
    await page.getByLabel('New column').fill('-2.5*LOG10(g_cModelFlux)+31.4');
    await page.getByRole('button', { name: 'Add column' }).click();
    await page.getByLabel('Row filter').fill('coord_ra < 62.05');
    await page.getByLabel('Row filter').press('Enter');
    const raHeader = page.getByRole('button', { name: /^coord_ra/ });
    await raHeader.click();
    await raHeader.click(); // descending
    await page.getByRole('button', { name: /^Columns/ }).click();
    await page.getByRole('group', { name: 'Shown columns' }).getByLabel('coord_dec').uncheck();
    await page.keyboard.press('Escape');

    const csv = readCsv((await download(page, 'CSV')).path);
    const parquet = await download(page, 'Parquet');
    expect(parquet.name).toBe('result.parquet');

    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const reader = await connection.runAndReadAll(
        `SELECT * FROM read_parquet('${parquet.path.replaceAll("'", "''")}')`,
      );
      expect(reader.columnNames()).toEqual(csv.header);
      expect(csv.header).toEqual(['objectId', 'coord_ra', 'g_cModelFlux', '-2.5*LOG10(g_cModelFlux)+31.4']);
      const rows = reader.getRows();
      expect(rows).toHaveLength(csv.rows.length);
      expect(csv.rows.length).toBeGreaterThan(3);
      rows.forEach((row, i) => {
        const expected = csv.rows[i];
        expect(String(row[0])).toBe(expected[0]); // 64-bit id exact
        for (let c = 1; c < expected.length; c++) {
          if (expected[c] === '') expect(row[c]).toBeNull();
          else expect(Number(row[c])).toBe(Number(expected[c]));
        }
      });
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});

describe.skipIf(!browserAvailable())('Parquet beyond the upload limit in Chromium', () => {
  let browser: Browser;
  let server: RunningServer;
  let tmp: ReturnType<typeof temporaryDir>;

  beforeAll(async () => {
    tmp = temporaryDir('portal-form-limit');
    const catalog = await buildFixtureCatalog(tmp.dir, generateFixture(`${tmp.dir}/fixture`));
    const dir = catalog.dir;
    await catalog.close();
    [browser, server] = await Promise.all([
      launchChromium(),
      startServer({
        catalog: dir,
        port: 0,
        auth: { allowAnonymous: true },
        limits: { uploadMaxBytes: 4096 },
      }),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    tmp?.remove();
  });

  it('says the displayed table is larger than the service takes, and what to do, without uploading', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    const uploads: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/api/tap/sync') && request.method() === 'POST') uploads.push(request.url());
    });
    const adql = 'SELECT TOP 200 objectId, coord_ra, coord_dec FROM dp02_dc2_catalogs.Object';
    await page.goto(`${server.url}/portal?adql=${encodeURIComponent(adql)}&execute=true`);
    await shownRows(page);
    await page.getByRole('button', { name: /^Download/ }).click();
    await page.getByRole('menuitem', { name: 'Parquet' }).click();
    const alert = page.locator('.download-error');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(
      /which is \d+ KB; this service takes uploads up to 4 KB\. Filter the rows or hide columns/,
    );
    expect(uploads).toEqual([]);
    await page.close();
  });
});
