/**
 * The Portal in a real browser against a real server on the fixture catalog: load, run a cone search, see rows,
 * select a row and see it highlighted in the sky plot, sort, a syntax error marked at its position, the job
 * monitor, a shared job URL. Screenshots go to docs/portal/ when MERIDIAN_PORTAL_SCREENSHOTS=1.
 */

import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserAvailable,
  firstLoadGzipBytes,
  launchChromium,
  type PortalServer,
  portalServer,
} from './browser-support.js';

/** The machine is shared and WebGL draws on the CPU: a poll may need seconds, not vitest's default 1 s. */
const POLL = { timeout: 15_000 };
const SCREENSHOTS = process.env.MERIDIAN_PORTAL_SCREENSHOTS === '1' ? 'docs/portal' : null;
const CONE = `SELECT objectId, coord_ra, coord_dec, g_cModelFlux, r_cModelFlux
FROM dp02_dc2_catalogs.Object
WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', 62, -37, 0.5)) = 1`;

/** Counts the pixels of the selection colour (#f2730d, give or take blending) in a screenshot of `selector`. */
async function highlightedPixels(page: Page, selector: string): Promise<number> {
  const png = (await page.locator(selector).screenshot()).toString('base64');
  return page.evaluate(async (data) => {
    const image = new Image();
    image.src = `data:image/png;base64,${data}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    [canvas.width, canvas.height] = [image.width, image.height];
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    const pixels = context.getImageData(0, 0, image.width, image.height).data;
    let count = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      const [r, g, b] = [pixels[i], pixels[i + 1], pixels[i + 2]];
      if (r > 200 && g > 80 && g < 160 && b < 80) count++;
    }
    return count;
  }, png);
}

async function setQuery(page: Page, adql: string): Promise<void> {
  await page.locator('.cm-content').click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Delete');
  await page.locator('.cm-content').fill(adql);
}

async function runQuery(page: Page): Promise<number> {
  const started = performance.now();
  await page.getByRole('button', { name: 'Run' }).click();
  await page.locator('.status.ok, .status.error').waitFor();
  return performance.now() - started;
}

describe.skipIf(!browserAvailable())('the Portal in Chromium', () => {
  let browser: Browser;
  let portal: PortalServer;
  let page: Page;

  beforeAll(async () => {
    if (SCREENSHOTS !== null) mkdirSync(SCREENSHOTS, { recursive: true });
    [browser, portal] = await Promise.all([launchChromium(), portalServer('portal-browser')]);
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  it('loads with the schema browser and the examples from the service', async () => {
    const started = performance.now();
    await page.goto(portal.portalUrl);
    await page.getByRole('button', { name: 'dp02_dc2_catalogs.Object', exact: true }).waitFor();
    const interactiveMs = performance.now() - started;
    // The service lists JSON among its output formats, so the Portal has nothing to complain about.
    expect(await page.locator('.status.error').count()).toBe(0);
    const examples = await page.getByLabel('Examples').locator('option').count();
    expect(examples).toBeGreaterThan(1);
    // Filtering the tree to a column name shows its table expanded with the unit beside it.
    await page.getByPlaceholder('Filter tables and columns').fill('g_cModelFlux');
    await expect
      .poll(() => page.locator('.schema-column', { hasText: 'g_cModelFlux' }).count(), POLL)
      .toBeGreaterThan(0);
    expect(await page.locator('.schema-column', { hasText: 'g_cModelFlux' }).first().textContent()).toContain(
      'nJy',
    );
    await page.getByPlaceholder('Filter tables and columns').fill('');
    console.info(
      `Portal first load: ${firstLoadGzipBytes()} bytes gzip, schema shown ${interactiveMs.toFixed(0)} ms after navigation`,
    );
  });

  it('completes table names and, after an alias, column names from TAP_SCHEMA', async () => {
    await page.getByRole('button', { name: 'Expand dp02_dc2_catalogs.Object' }).click();
    await setQuery(page, 'SELECT o.coord_ra\nFROM dp02_dc2_catalogs.Obj');
    await page.keyboard.press('Control+Space');
    await expect
      .poll(() => page.locator('.cm-tooltip-autocomplete li').allTextContents(), POLL)
      .toContain('Object');
    await page.keyboard.press('Escape');
    await setQuery(page, 'SELECT o.g_cMo\nFROM dp02_dc2_catalogs.Object AS o');
    await page.keyboard.press('Control+Home');
    await page.keyboard.press('End');
    await page.keyboard.press('Control+Space');
    const options = page.locator('.cm-tooltip-autocomplete li');
    await expect
      .poll(() => options.allTextContents(), POLL)
      .toEqual(expect.arrayContaining([expect.stringMatching(/^g_cModelFlux/)]));
    if (SCREENSHOTS !== null) await page.screenshot({ path: `${SCREENSHOTS}/query.png` });
    await page.keyboard.press('Escape');
  });

  it('runs a cone search as an async job and shows the rows in the table and the sky plot', async () => {
    await setQuery(page, CONE);
    const ms = await runQuery(page);
    const status = page.locator('.status.ok');
    const rows = Number(await status.getAttribute('data-rows'));
    expect(rows).toBeGreaterThan(100);
    expect(rows).toBeLessThan(1800);
    expect(Number(await page.locator('.result-table').getAttribute('data-rows'))).toBe(rows);
    expect(await page.locator('.result-row').count()).toBeGreaterThan(10);
    // 19-digit object ids arrive exactly (a double would end in 00 or similar).
    const id = await page.locator('.result-row').first().locator('.cell').nth(1).textContent();
    expect(id).toMatch(/^\d{19}$/);
    const sky = page.getByRole('figure', { name: /coord_dec.*against.*coord_ra/ });
    expect(Number(await sky.locator('canvas').getAttribute('data-points'))).toBe(rows);
    console.info(`cone search: ${rows} rows shown ${ms.toFixed(0)} ms after Run`);
  });

  it('sorts by coord_ra with a click on its header', async () => {
    await page.locator('.header-cell', { hasText: 'coord_ra' }).click();
    const values = await page
      .locator('.result-row')
      .evaluateAll((rows) =>
        rows.slice(0, 15).map((r) => Number(r.querySelectorAll('.cell')[2].textContent)),
      );
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(await page.locator('.header-cell', { hasText: 'coord_ra' }).getAttribute('data-sort')).toBe(
      'ascending',
    );
  });

  it('a row selected in the table is highlighted in the sky plot and counted in the histogram', async () => {
    const sky = '.view[aria-label="Sky plot"] .plot-area';
    expect(await highlightedPixels(page, sky)).toBe(0);
    expect(await highlightedPixels(page, '.histogram')).toBe(0);
    await page.locator('.result-row').nth(3).click();
    await expect.poll(() => page.locator('.result-row[data-selected="true"]').count(), POLL).toBe(1);
    await expect.poll(() => highlightedPixels(page, sky), POLL).toBeGreaterThan(3);
    await expect.poll(() => highlightedPixels(page, '.histogram'), POLL).toBeGreaterThan(3);
    // Shift-click extends the selection in display order.
    await page
      .locator('.result-row')
      .nth(8)
      .click({ modifiers: ['Shift'] });
    await expect.poll(() => page.locator('.result-row[data-selected="true"]').count(), POLL).toBe(6);
    expect(await page.locator('.status.ok').textContent()).toContain('6 selected');
    if (SCREENSHOTS !== null) await page.screenshot({ path: `${SCREENSHOTS}/results.png` });
  });

  it('a lasso in the sky plot selects rows in the table; the table filters to the selection and back', async () => {
    const canvas = page.locator('.view[aria-label="Sky plot"] canvas');
    const first = (await canvas.boundingBox())!;
    await page.mouse.dblclick(first.x + 5, first.y + 5); // clear the selection: a double-click on empty space
    await expect.poll(() => page.locator('.result-row[data-selected="true"]').count(), POLL).toBe(0);
    // Clearing the selection changes the status line, which can move or resize the plot, and a resize redraws it
    // (no lasso until the points are drawn again): wait until the canvas has kept its place for a while, and take
    // the gesture's coordinates from there, afresh for every attempt.
    const settledBox = async () => {
      let last = '';
      for (let stable = 0; stable < 3; ) {
        await page.waitForTimeout(150);
        const now = JSON.stringify(await canvas.boundingBox());
        stable = now === last ? stable + 1 : 0;
        last = now;
      }
      return JSON.parse(last) as { x: number; y: number; width: number; height: number };
    };
    // Drawn at a human pace: regl-scatterplot records lasso points at most every few milliseconds and ignores a
    // lasso that starts too soon after the button goes down, so an instant gesture on a fast, quiet machine can
    // leave no lasso at all; on a loaded machine a gesture can still be lost to a redraw. Try again if a gesture
    // selected nothing.
    const selectedText = async () =>
      /(\d+) selected/.exec((await page.locator('.status.ok').textContent()) ?? '')?.[1];
    for (let attempt = 0; attempt < 4 && (await selectedText()) === undefined; attempt++) {
      const box = await settledBox();
      const [cx, cy, r] = [box.x + box.width / 2, box.y + box.height / 2, box.height / 6];
      await page.mouse.move(cx - r, cy - r);
      await page.keyboard.down('Shift');
      await page.mouse.down();
      await page.waitForTimeout(100);
      let [px, py] = [cx - r, cy - r];
      for (const [x, y] of [
        [cx + r, cy - r],
        [cx + r, cy + r],
        [cx - r, cy + r],
        [cx - r, cy - r],
      ] as const) {
        for (let step = 1; step <= 8; step++) {
          await page.mouse.move(px + ((x - px) * step) / 8, py + ((y - py) * step) / 8);
          await page.waitForTimeout(15 + attempt * 15);
        }
        [px, py] = [x, y];
      }
      await page.mouse.up();
      await page.keyboard.up('Shift');
      await expect
        .poll(selectedText, { timeout: 5_000 })
        .toBeDefined()
        .catch(() => {});
    }
    await expect.poll(selectedText, POLL).toBeDefined();
    const selected = Number(/(\d+) selected/.exec((await page.locator('.status.ok').textContent())!)![1]);
    expect(selected).toBeGreaterThan(3);
    expect(selected).toBeLessThan(200);

    await page.getByRole('button', { name: 'Filter to selection' }).click();
    expect(Number(await page.locator('[data-shown]').getAttribute('data-shown'))).toBe(selected);
    expect(await page.locator('.result-row').count()).toBeLessThanOrEqual(selected);
    expect(await page.locator('.result-row[data-selected="false"]').count()).toBe(0);
    await page.getByRole('button', { name: 'Show all rows' }).click();
    expect(Number(await page.locator('[data-shown]').getAttribute('data-shown'))).toBeGreaterThan(selected);
  });

  it('filters rows with an expression and adds a derived magnitude column', async () => {
    const total = Number(await page.locator('[data-shown]').getAttribute('data-shown'));
    await page.getByLabel('Row filter').fill('coord_ra <');
    await page.getByLabel('Row filter').press('Enter');
    expect(await page.locator('.tool-error').first().textContent()).toMatch(/expected a value.*column 11/);
    await page.getByLabel('Row filter').fill('coord_ra < 61.9');
    await page.getByLabel('Row filter').press('Enter');
    await expect
      .poll(async () => Number(await page.locator('[data-shown]').getAttribute('data-shown')), POLL)
      .toBeLessThan(total);
    const ras = await page
      .locator('.result-row')
      .evaluateAll((rows) => rows.map((r) => Number(r.querySelectorAll('.cell')[2].textContent)));
    expect(ras.length).toBeGreaterThan(0);
    expect(ras.every((ra) => ra < 61.9)).toBe(true);

    await page.getByLabel('New column').fill('-2.5*LOG10(g_cModelFlux)+31.4 AS g_mag');
    await page.getByRole('button', { name: 'Add column' }).click();
    await page.locator('.header-cell', { hasText: 'g_mag' }).waitFor();
    const pairs = await page.locator('.result-row').evaluateAll((rows) =>
      rows.map((r) => {
        const cells = r.querySelectorAll('.cell');
        return [Number(cells[4].textContent), cells[6].textContent ?? ''] as const;
      }),
    );
    const positive = pairs.filter(([flux]) => flux > 0);
    expect(positive.length).toBeGreaterThan(0);
    for (const [flux, mag] of positive) expect(Number(mag)).toBeCloseTo(-2.5 * Math.log10(flux) + 31.4, 5);
    // The new column can be charted like any other.
    await page.locator('.view[aria-label="Chart"] select').nth(1).selectOption({ label: 'g_mag' });
    await page.getByRole('figure', { name: 'Histogram of g_mag' }).waitFor();
    if (SCREENSHOTS !== null) await page.screenshot({ path: `${SCREENSHOTS}/derived-column.png` });
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect
      .poll(async () => Number(await page.locator('[data-shown]').getAttribute('data-shown')), POLL)
      .toBe(total);
  });

  it('marks an ADQL syntax error at its line and column', async () => {
    await setQuery(page, 'SELECT coord_ra\nFROM FROM dp02_dc2_catalogs.Object');
    await runQuery(page);
    const message = await page.locator('.status.error').textContent();
    expect(message).toMatch(/line 2, column 6/);
    const marked = page.locator('.cm-lintRange-error');
    await marked.first().waitFor();
    expect(await marked.first().textContent()).toBe('FROM');
    if (SCREENSHOTS !== null) await page.screenshot({ path: `${SCREENSHOTS}/syntax-error.png` });
  });

  it('lists the jobs in the monitor and reopens a job from its shared URL', async () => {
    await page.getByRole('button', { name: 'Jobs', exact: true }).click();
    await page.locator('table.jobs tbody tr').first().waitFor();
    const phases = await page.locator('table.jobs .phase').allTextContents();
    expect(phases).toContain('COMPLETED');
    expect(phases).toContain('ERROR');
    if (SCREENSHOTS !== null) await page.screenshot({ path: `${SCREENSHOTS}/jobs.png` });
    const completed = page.locator('table.jobs tbody tr[data-phase="COMPLETED"]').first();
    expect(await completed.locator('.query-cell').textContent()).toContain('CIRCLE');
    const jobId = await completed.getAttribute('data-job');

    const shared = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await shared.goto(`${portal.portalUrl}?job=${jobId}`);
    await shared.locator('.status.ok').waitFor();
    expect(Number(await shared.locator('.status.ok').getAttribute('data-rows'))).toBeGreaterThan(100);
    expect(await shared.locator('.cm-content').textContent()).toContain('CIRCLE');
    await shared.close();
  });

  it('a cone search by form (pre-filled from ?ra&dec&radius) gives the same rows as the same cone in ADQL', async () => {
    const form = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await form.goto(`${portal.portalUrl}?ra=62.1&dec=-37.05&radius=0.2`);
    const generated = form.getByLabel('Generated ADQL');
    await generated.waitFor();
    expect(await generated.textContent()).toContain("CIRCLE('ICRS', 62.1, -37.05, 0.2)");
    await form.locator('.cone-form input[name="radius"]').fill('-1');
    expect(await form.locator('.cone-form [role="alert"]').textContent()).toMatch(/radius/);
    await form.locator('.cone-form input[name="radius"]').fill('0.2');
    await form.getByRole('button', { name: 'Search' }).click();
    await form.locator('.status.ok').waitFor();
    const byForm = Number(await form.locator('.status.ok').getAttribute('data-rows'));
    expect(byForm).toBeGreaterThan(10);
    expect(await form.locator('.cm-content').textContent()).toContain('CIRCLE');
    if (SCREENSHOTS !== null) await form.screenshot({ path: `${SCREENSHOTS}/cone-form.png` });

    const adql = `SELECT objectId FROM dp02_dc2_catalogs.Object
      WHERE DISTANCE(POINT('ICRS', coord_ra, coord_dec), POINT('ICRS', 62.1, -37.05)) < 0.2`;
    await form.goto(`${portal.portalUrl}?adql=${encodeURIComponent(adql)}&execute=true`);
    await form.locator('.status.ok').waitFor();
    expect(Number(await form.locator('.status.ok').getAttribute('data-rows'))).toBe(byForm);
    await form.close();
  });

  it('runs a query given in the URL (adql=…&execute=true)', async () => {
    const adql = 'SELECT TOP 7 objectId, coord_ra, coord_dec FROM dp02_dc2_catalogs.Object';
    const other = await browser.newPage();
    await other.goto(`${portal.portalUrl}?adql=${encodeURIComponent(adql)}&execute=true`);
    await other.locator('.status.ok').waitFor();
    expect(await other.locator('.status.ok').getAttribute('data-rows')).toBe('7');
    await other.close();
  });
});
