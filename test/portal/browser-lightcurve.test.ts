/**
 * The light-curve view in Chromium against a real server on the fixture catalog: a cone search, a selected row's
 * "Light curve" button, one legend entry per band with points drawn, the band filter, the magnitude/flux toggle,
 * and the `?lightcurve=ID` URL. With MERIDIAN_PORTAL_SCREENSHOTS=1 it writes docs/portal/light-curve.png.
 */

import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchChromium, type PortalServer, portalServer } from './browser-support.js';

const POLL = { timeout: 15_000 };
const SCREENSHOTS = process.env.MERIDIAN_PORTAL_SCREENSHOTS === '1' ? 'docs/portal' : null;

/** Legend entries uPlot shows for the chart's bands (without the x axis's, if it shows one). */
async function legendBands(page: Page): Promise<string[]> {
  const labels = await page.locator('.lightcurve-chart .u-legend .u-series .u-label').allTextContents();
  return labels.filter((label) => label !== 'MJD');
}

/** Pixels in the chart's canvas that are neither background nor grey (the coloured points and error bars). */
async function colouredPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('.lightcurve-chart canvas')!;
    const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      const [r, g, b, a] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
      if (a > 200 && Math.max(r, g, b) - Math.min(r, g, b) > 60) count++;
    }
    return count;
  });
}

describe.skipIf(!browserAvailable())('the light curve in Chromium', () => {
  let browser: Browser;
  let portal: PortalServer;
  let page: Page;
  let objectId: string;

  beforeAll(async () => {
    if (SCREENSHOTS !== null) mkdirSync(SCREENSHOTS, { recursive: true });
    [browser, portal] = await Promise.all([launchChromium(), portalServer('portal-lightcurve')]);
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  it('opens from a selected row, one series per band with a legend, then filters to one band', async () => {
    // Objects with forced photometry (the fixture measures each on visits in every band).
    const adql = 'SELECT TOP 5 objectId, band, psfFlux FROM dp02_dc2_catalogs.ForcedSource';
    await page.goto(`${portal.portalUrl}?adql=${encodeURIComponent(adql)}&execute=true`);
    await page.locator('.status.ok, .status.error').waitFor();
    expect(await page.locator('.status.error').count()).toBe(0);
    await page.locator('.result-row').first().click();
    const button = page.getByRole('button', { name: 'Light curve' });
    await button.waitFor();
    objectId = (await page.locator('.lightcurve-bar .muted').textContent())!.match(/\d+/)![0];
    await button.click();

    await page.locator('.lightcurve-chart canvas').waitFor();
    expect(new URL(page.url()).searchParams.get('lightcurve')).toBe(objectId);
    const bands = await legendBands(page);
    expect(bands.length).toBeGreaterThan(1);
    expect(bands.every((b) => ['u', 'g', 'r', 'i', 'z', 'y'].includes(b))).toBe(true);
    const points = Number(await page.locator('.lightcurve .status').getAttribute('data-points'));
    expect(points).toBeGreaterThan(bands.length);
    await expect.poll(() => colouredPixels(page), POLL).toBeGreaterThan(50);
    if (SCREENSHOTS !== null) await page.screenshot({ path: `${SCREENSHOTS}/light-curve.png` });

    await page.getByLabel('Band filter').selectOption(bands[1]);
    await expect.poll(() => legendBands(page), POLL).toEqual([bands[1]]);
    await page.getByLabel('Band filter').selectOption('all');
    await expect.poll(() => legendBands(page), POLL).toEqual(bands);

    await page.getByLabel('Flux (nJy)').check();
    await page.locator('.lightcurve-chart[data-unit="flux"] canvas').waitFor();
    expect(await legendBands(page)).toEqual(bands);
  });

  it('opens by URL, and says so for an object without photometry', async () => {
    await page.goto(`${portal.portalUrl}?lightcurve=${objectId}`);
    await page.locator('.lightcurve-chart canvas').waitFor();
    expect((await legendBands(page)).length).toBeGreaterThan(1);

    await page.getByRole('textbox', { name: 'objectId' }).fill('1');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText('No forced photometry for objectId 1.').waitFor();
    expect(new URL(page.url()).searchParams.get('lightcurve')).toBe('1');
  });
});
