/**
 * The Portal's charts in Chromium against a real server on the fixture catalog: the query's cone and polygon
 * drawn on the sky plot, a histogram and a scatter of expression axes (with an inline error), a density heatmap
 * whose rectangle selection highlights the same rows in the table and the sky plot, the table's filter shrinking
 * every plot, and the heatmap chosen automatically for a large result. `MERIDIAN_PORTAL_SCREENSHOTS=1` writes
 * docs/portal/heatmap.png.
 */

import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchChromium, type PortalServer, portalServer } from './browser-support.js';

/** The machine is shared and WebGL draws on the CPU: a poll may need seconds, not vitest's default 1 s. */
const POLL = { timeout: 15_000 };
const SCREENSHOTS = process.env.MERIDIAN_PORTAL_SCREENSHOTS === '1' ? 'docs/portal' : null;
const CONE = `SELECT objectId, coord_ra, coord_dec, g_cModelFlux, r_cModelFlux
FROM dp02_dc2_catalogs.Object
WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', 62, -37, 0.5)) = 1`;
const G_MAG = '-2.5*LOG10(g_cModelFlux)+31.4';
const G_MINUS_R = 'scisql_nanojanskyToAbMag(g_cModelFlux) - scisql_nanojanskyToAbMag(r_cModelFlux)';
const SKY = '.view[aria-label="Sky plot"]';
const CHART = '.view[aria-label="Chart"]';

/** Counts the pixels of the selection colour (#f2730d, give or take blending) in a screenshot of `selector`. */
async function highlightedPixels(page: Page, selector: string): Promise<number> {
  return pixelsOf(page, selector, 'orange');
}

/**
 * Pixels of a kind in a screenshot of `selector`: 'orange' (the selection), 'teal' (the query region's #0e7490
 * outline), or 'colour' (anything saturated that is not grey, for the heatmap's viridis bins).
 */
async function pixelsOf(page: Page, selector: string, kind: 'orange' | 'teal' | 'colour'): Promise<number> {
  const png = (await page.locator(selector).screenshot()).toString('base64');
  return page.evaluate(
    async ([data, wanted]) => {
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
        const match =
          wanted === 'orange'
            ? r > 200 && g > 80 && g < 160 && b < 80
            : wanted === 'teal'
              ? r < 90 && g > 90 && g < 150 && b > 120 && b < 180
              : Math.max(r, g, b) - Math.min(r, g, b) > 60;
        if (match) count++;
      }
      return count;
    },
    [png, kind] as const,
  );
}

async function setQuery(page: Page, adql: string): Promise<void> {
  await page.locator('.cm-content').click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Delete');
  await page.locator('.cm-content').fill(adql);
}

async function runQuery(page: Page, adql: string): Promise<number> {
  await setQuery(page, adql);
  await page.getByRole('button', { name: 'Run' }).click();
  await page.locator('.status.ok[data-rows], .status.error').waitFor({ timeout: 60_000 });
  return Number(await page.locator('.status.ok').getAttribute('data-rows'));
}

const shown = async (page: Page) => Number(await page.locator('[data-shown]').getAttribute('data-shown'));
const selectedCount = async (page: Page) =>
  Number(/(\d+) selected/.exec((await page.locator('.status.ok').textContent()) ?? '')?.[1] ?? 0);

describe.skipIf(!browserAvailable())('the Portal charts in Chromium', () => {
  let browser: Browser;
  let portal: PortalServer;
  let page: Page;
  let rows: number;

  beforeAll(async () => {
    if (SCREENSHOTS !== null) mkdirSync(SCREENSHOTS, { recursive: true });
    [browser, portal] = await Promise.all([launchChromium(), portalServer('portal-charts')]);
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(portal.portalUrl);
    await page.getByRole('button', { name: 'dp02_dc2_catalogs.Object', exact: true }).waitFor();
    rows = await runQuery(page, CONE);
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  it('draws the cone of the query on the sky plot, round (equal angular scales) and around the points', async () => {
    expect(rows).toBeGreaterThan(100);
    const region = page.locator(`${SKY} svg.region`);
    await region.waitFor();
    expect(await region.getAttribute('data-regions')).toBe('1');
    await expect.poll(() => pixelsOf(page, `${SKY} .plot-area`, 'teal'), POLL).toBeGreaterThan(100);
    const circle = (await region.locator('path').boundingBox())!;
    expect(Math.abs(circle.width - circle.height) / circle.height).toBeLessThan(0.03);
    // Every point of a cone search lies inside its cone: the points' screen box is inside the circle's.
    const area = (await page.locator(`${SKY} .plot-area`).boundingBox())!;
    expect(circle.x).toBeGreaterThanOrEqual(area.x - 1);
    expect(circle.x + circle.width).toBeLessThanOrEqual(area.x + area.width + 1);
    expect(circle.height).toBeGreaterThan(area.height * 0.6);
    // The selection colour is not the region's: nothing is orange before anything is selected.
    expect(await highlightedPixels(page, `${SKY} .plot-area`)).toBe(0);
  });

  it('plots a histogram of an expression axis, and shows an axis error inline without losing the chart', async () => {
    await page.getByRole('figure', { name: 'Histogram of g_cModelFlux' }).waitFor();
    const field = page.getByLabel('of axis expression');
    await field.fill(G_MAG);
    const histogram = page.getByRole('figure', { name: `Histogram of ${G_MAG}` });
    await histogram.waitFor();
    // Fluxes ≤ 0 have no magnitude, so at most `rows` rows are counted, and most are.
    const counted = Number(await histogram.getAttribute('data-counted'));
    expect(counted).toBeGreaterThan(rows / 2);
    expect(counted).toBeLessThanOrEqual(rows);

    await field.fill(`${G_MAG} -`);
    expect(await page.locator(`${CHART} .axis-error`).textContent()).toMatch(
      /expected a value, found the end.*column 32/,
    );
    await field.fill('g_cModelFlux - x_flux');
    expect(await page.locator(`${CHART} .axis-error`).textContent()).toMatch(/no column "x_flux".*column 16/);
    expect(await histogram.isVisible()).toBe(true); // the last valid axis stays plotted
    // The column menu puts a plain column back.
    await page.getByLabel('of axis column').selectOption('r_cModelFlux');
    await page.getByRole('figure', { name: 'Histogram of r_cModelFlux' }).waitFor();
    expect(await page.locator(`${CHART} .axis-error`).count()).toBe(0);
    expect(await field.inputValue()).toBe('r_cModelFlux');
  });

  it('plots a scatter of two expression axes, labelled with the expressions', async () => {
    await page.getByLabel('Chart type').selectOption('scatter');
    await page.getByLabel('x axis expression').fill(G_MAG);
    await page.getByLabel('y axis expression').fill(G_MINUS_R);
    const scatter = page.getByRole('figure', { name: `${G_MINUS_R} against ${G_MAG}` });
    await scatter.waitFor();
    expect(await scatter.locator('.x-label').textContent()).toBe(G_MAG);
    expect(await scatter.locator('.y-label').textContent()).toBe(G_MINUS_R);
    const points = Number(await scatter.locator('canvas').getAttribute('data-points'));
    expect(points).toBeGreaterThan(rows / 2);
    expect(points).toBeLessThanOrEqual(rows);
  });

  it('bins the same axes into a density heatmap with a colour legend, linear or log', async () => {
    await page.getByLabel('Chart type').selectOption('heatmap');
    const heatmap = page.getByRole('figure', { name: `Density of ${G_MINUS_R} against ${G_MAG}` });
    await heatmap.waitFor();
    expect(await heatmap.getAttribute('data-bins')).toMatch(/^\d+x\d+$/);
    const points = Number(await heatmap.getAttribute('data-points'));
    expect(points).toBeGreaterThan(rows / 2);
    expect(Number(await heatmap.getAttribute('data-max-count'))).toBeGreaterThan(1);
    await expect.poll(() => pixelsOf(page, `${CHART} .plot-area`, 'colour'), POLL).toBeGreaterThan(200);
    const legend = heatmap.getByRole('img', { name: /Colour scale: rows per bin, 1 to \d+ \(log\)/ });
    expect(await legend.locator('.legend-tick').count()).toBeGreaterThan(1);
    await page.getByLabel('log colour').uncheck();
    await heatmap.locator('.colour-bar[data-scale="linear"]').waitFor();
    await page.getByLabel('log colour').check();
    await heatmap.locator('.colour-bar[data-scale="log"]').waitFor();
  });

  it('selects the rows of a rectangle of bins, highlighted in the table and the sky plot', async () => {
    // The heatmap of the plain flux columns, so the table's filter can check the selection exactly.
    await page.getByLabel('x axis column').selectOption('g_cModelFlux');
    await page.getByLabel('y axis column').selectOption('r_cModelFlux');
    const heatmap = page.getByRole('figure', { name: 'Density of r_cModelFlux against g_cModelFlux' });
    await heatmap.waitFor();
    expect(await highlightedPixels(page, `${CHART} .plot-area`)).toBe(0);
    const [nx] = (await heatmap.getAttribute('data-bins'))!.split('x').map(Number);
    const [xMin, xMax] = (await heatmap.getAttribute('data-x-domain'))!.split(' ').map(Number);
    const box = (await heatmap.locator('canvas').boundingBox())!;
    // Drag from the top-left corner to the bottom, 40% of the way across: every y, the first bins of x.
    const fraction = 0.4;
    await page.mouse.move(box.x + 2, box.y + 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * fraction, box.y + box.height / 2, { steps: 5 });
    await page.locator('.bin-drag').waitFor();
    await page.mouse.move(box.x + box.width * fraction, box.y + box.height - 2, { steps: 5 });
    await page.mouse.up();
    await expect.poll(() => selectedCount(page), POLL).toBeGreaterThan(0);
    const selected = await selectedCount(page);
    expect(selected).toBeLessThan(rows);

    // Orange bin outlines in the heatmap, orange points in the sky plot.
    await expect.poll(() => highlightedPixels(page, `${CHART} .plot-area`), POLL).toBeGreaterThan(3);
    await expect.poll(() => highlightedPixels(page, `${SKY} .plot-area`), POLL).toBeGreaterThan(3);

    // The same rows as the table's filter on the bins' edge: the rows with both fluxes and x below it.
    const lastBin = Math.floor(((box.width * fraction - 1) / box.width) * nx);
    const edge = xMin + ((lastBin + 1) * (xMax - xMin)) / nx;
    await page.getByRole('button', { name: 'Filter to selection' }).click();
    expect(await shown(page)).toBe(selected);
    expect(await page.locator('.result-row[data-selected="false"]').count()).toBe(0);
    const fluxes = await page
      .locator('.result-row')
      .evaluateAll((found) => found.map((r) => Number(r.querySelectorAll('.cell')[4].textContent)));
    expect(fluxes.every((flux) => flux <= edge)).toBe(true);
    await page.getByRole('button', { name: 'Show all rows' }).click();
    await page.getByLabel('Row filter').fill(`g_cModelFlux < ${edge} AND r_cModelFlux IS NOT NULL`);
    await page.getByLabel('Row filter').press('Enter');
    await expect.poll(() => shown(page), POLL).toBe(selected);
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => shown(page), POLL).toBe(rows);

    // A double-click clears the selection everywhere.
    await page.mouse.dblclick(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(() => page.locator('.status.ok').textContent(), POLL).not.toMatch(/selected/);
    await expect.poll(() => highlightedPixels(page, `${SKY} .plot-area`), POLL).toBe(0);
  });

  it('hides the rows the table filter hides in the sky plot, the heatmap and the histogram', async () => {
    const heatmap = page.locator(`${CHART} figure.heatmap`);
    const sky = page.locator(`${SKY} canvas`);
    const [skyBefore, binnedBefore] = [
      Number(await sky.getAttribute('data-points')),
      Number(await heatmap.getAttribute('data-points')),
    ];
    expect(skyBefore).toBe(rows);
    await page.getByLabel('Row filter').fill('coord_ra < 61.9');
    await page.getByLabel('Row filter').press('Enter');
    await expect.poll(() => shown(page), POLL).toBeLessThan(rows);
    const kept = await shown(page);
    await expect.poll(async () => Number(await sky.getAttribute('data-points')), POLL).toBe(kept);
    expect(Number(await heatmap.getAttribute('data-points'))).toBeLessThan(binnedBefore);
    expect(Number(await heatmap.getAttribute('data-points'))).toBeLessThanOrEqual(kept);
    await page.getByLabel('Chart type').selectOption('histogram');
    await page.getByLabel('of axis expression').fill('coord_ra');
    const histogram = page.getByRole('figure', { name: 'Histogram of coord_ra' });
    await expect.poll(async () => Number(await histogram.getAttribute('data-counted')), POLL).toBe(kept);
    // The selection stays linked under the filter: a row clicked in the table is orange in the sky plot.
    await page.locator('.result-row').nth(2).click();
    await expect.poll(() => highlightedPixels(page, `${SKY} .plot-area`), POLL).toBeGreaterThan(3);
    await expect.poll(() => highlightedPixels(page, '.histogram'), POLL).toBeGreaterThan(3);
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(async () => Number(await sky.getAttribute('data-points')), POLL).toBe(rows);
  });

  it('draws a polygon region, and none for a query without one', async () => {
    const polygon = await runQuery(
      page,
      `SELECT objectId, coord_ra, coord_dec FROM dp02_dc2_catalogs.Object
       WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec),
                      POLYGON('ICRS', 61.8, -37.2, 62.2, -37.2, 62.2, -36.8, 61.8, -36.8)) = 1`,
    );
    expect(polygon).toBeGreaterThan(0);
    const region = page.locator(`${SKY} svg.region`);
    await region.waitFor();
    const outline = (await region.locator('path').boundingBox())!;
    // 0.4° of Dec and 0.4° of RA at Dec -37 (0.32° on the sky): taller than wide.
    expect(outline.width / outline.height).toBeGreaterThan(0.7);
    expect(outline.width / outline.height).toBeLessThan(0.9);
    await runQuery(page, 'SELECT TOP 50 objectId, coord_ra, coord_dec FROM dp02_dc2_catalogs.Object');
    await page.locator(`${SKY} canvas[data-points="50"]`).waitFor();
    expect(await region.count()).toBe(0);
  });

  it('draws a colour–magnitude heatmap of a wider cone and selects a box of it', async () => {
    const wide = await runQuery(page, CONE.replace('0.5))', '2))'));
    console.info(`wide cone: ${wide} rows`);
    expect(wide).toBeGreaterThan(rows);
    await page.getByLabel('Chart type').selectOption('heatmap');
    await page.getByLabel('x axis expression').fill(G_MAG);
    await page.getByLabel('y axis expression').fill(G_MINUS_R);
    const heatmap = page.getByRole('figure', { name: `Density of ${G_MINUS_R} against ${G_MAG}` });
    await heatmap.waitFor();
    const box = (await heatmap.locator('canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.35);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.65, { steps: 6 });
    await page.mouse.up();
    await expect.poll(() => selectedCount(page), POLL).toBeGreaterThan(0);
    const first = await selectedCount(page);
    expect(first).toBeLessThan(wide / 2);
    // Shift-drag adds another box (the lower left) to the selection.
    await page.keyboard.down('Shift');
    await page.mouse.move(box.x + box.width * 0.05, box.y + box.height * 0.7);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.25, box.y + box.height * 0.95, { steps: 6 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    await expect.poll(() => selectedCount(page), POLL).toBeGreaterThan(first);
    await expect.poll(() => highlightedPixels(page, `${SKY} .plot-area`), POLL).toBeGreaterThan(3);
    await expect.poll(() => highlightedPixels(page, `${CHART} .plot-area`), POLL).toBeGreaterThan(3);
    await page.getByRole('button', { name: 'Filter to selection' }).click();
    expect(await shown(page)).toBe(await selectedCount(page));
    await page.getByRole('button', { name: 'Show all rows' }).click();
    if (SCREENSHOTS !== null) await page.screenshot({ path: `${SCREENSHOTS}/heatmap.png` });
  });

  it('opens a result of more than 20,000 rows on the density heatmap, and says so', async () => {
    const large = await runQuery(
      page,
      `SELECT TOP 25000 o.objectId, o.coord_ra, o.coord_dec, o.g_cModelFlux, o.r_cModelFlux
       FROM dp02_dc2_catalogs.Object AS o, dp02_dc2_catalogs.CcdVisit AS v`,
    );
    expect(large).toBe(25_000);
    await page.locator(`${CHART} figure.heatmap`).waitFor({ timeout: 30_000 });
    expect(await page.getByLabel('Chart type').inputValue()).toBe('heatmap');
    expect(await page.locator('[data-automatic="heatmap"]').textContent()).toContain('25,000 rows');
    // The choice is the user's to change.
    await page.getByLabel('Chart type').selectOption('scatter');
    await page.locator(`${CHART} canvas[data-points]`).waitFor();
    expect(await page.locator('[data-automatic]').count()).toBe(0);
  });
});
