/**
 * ISR on synthetic raws whose every ingredient is known: an overscan with a slope, a bias structure, a flat, a
 * gain per amplifier and a signal. Without noise the signal must come back exactly; the masks must follow the
 * saturation, bleed and defect rules; bad inputs end in coded errors.
 */
import { describe, expect, it } from 'vitest';
import {
  box2i,
  Exposure,
  type HeaderCard,
  headerValue,
  ImageF,
  valueCard,
} from '../../../src/formats/index.js';
import { IsrConfigSchema, runIsr } from '../../../src/tasks/index.js';

const W = 60;
const H = 40;
const OVERSCAN = 8;

const signal = (x: number, y: number) => 500 + 3 * x + 2 * y;
const biasAt = (x: number, y: number) => 0.5 * Math.sin(x) + (3 * y) / (H - 1);
const flatAt = (x: number, y: number) => 0.9 + (0.2 * x) / W + 0.001 * (y % 3);
const overscanAt = (y: number, amp = 0) => 1000 + 200 * amp + 0.05 * y;

interface AmpSpec {
  readonly gain: number;
  readonly readNoise: number;
  /** Raw columns of the data (0-based start) and of the overscan; detector columns. */
  readonly dataX0: number;
  readonly biasX0: number;
  readonly detX0: number;
  readonly width: number;
}

const ONE_AMP: AmpSpec[] = [{ gain: 1.7, readNoise: 5, dataX0: 0, biasX0: W, detX0: 0, width: W }];
/** Two amplifiers, each with its own overscan right of its data: [data1 | os1 | data2 | os2]. */
const TWO_AMPS: AmpSpec[] = [
  { gain: 1.5, readNoise: 4, dataX0: 0, biasX0: 30, detX0: 0, width: 30 },
  { gain: 2.0, readNoise: 6, dataX0: 30 + OVERSCAN, biasX0: 60 + OVERSCAN, detX0: 30, width: 30 },
];

const section = (x0: number, width: number) => `[${x0 + 1}:${x0 + width},1:${H}]`;

function syntheticRaw(
  amps: readonly AmpSpec[],
  options: { saturation?: number; extraCards?: HeaderCard[]; drop?: string[] } = {},
) {
  const rawWidth = amps.length === 1 ? W + OVERSCAN : 2 * (30 + OVERSCAN);
  const pixels = new Float32Array(rawWidth * H);
  amps.forEach((amp, k) => {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < amp.width; x++) {
        const dx = amp.detX0 + x;
        const electrons = signal(dx, y) * flatAt(dx, y);
        pixels[y * rawWidth + amp.dataX0 + x] = overscanAt(y, k) + biasAt(dx, y) + electrons / amp.gain;
      }
      for (let x = 0; x < OVERSCAN; x++) pixels[y * rawWidth + amp.biasX0 + x] = overscanAt(y, k);
    }
  });
  const cards: HeaderCard[] =
    amps.length === 1
      ? [
          valueCard('DATASEC', section(0, W)),
          valueCard('BIASSEC', section(W, OVERSCAN)),
          valueCard('GAIN', amps[0]!.gain),
          valueCard('RDNOISE', amps[0]!.readNoise),
        ]
      : [
          valueCard('NAMPS', amps.length),
          ...amps.flatMap((a, k) => [
            valueCard(`DATASEC${k + 1}`, section(a.dataX0, a.width)),
            valueCard(`BIASSEC${k + 1}`, section(a.biasX0, OVERSCAN)),
            valueCard(`DETSEC${k + 1}`, section(a.detX0, a.width)),
            valueCard(`GAIN${k + 1}`, a.gain),
            valueCard(`RDNOISE${k + 1}`, a.readNoise),
          ]),
        ];
  cards.push(valueCard('SATURATE', options.saturation ?? 60000), valueCard('BUNIT', 'adu'));
  cards.push(...(options.extraCards ?? []));
  const metadata = cards.filter((c) => !(c.kind === 'value' && options.drop?.includes(c.keyword)));
  return new Exposure({ image: new ImageF(pixels, box2i(0, 0, rawWidth, H)), metadata });
}

function calibration(f: (x: number, y: number) => number): Exposure {
  const a = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) a[y * W + x] = f(x, y);
  return new Exposure({ image: new ImageF(a, box2i(0, 0, W, H)) });
}

const bias = calibration(biasAt);
const flat = calibration(flatAt);

function expectSignalRecovered(image: ImageF, tolerance: number) {
  let worst = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) worst = Math.max(worst, Math.abs(image.get(x, y) - signal(x, y)));
  }
  expect(worst).toBeLessThan(tolerance);
}

describe('ISR on a synthetic raw', () => {
  it('recovers the signal exactly with a POLY overscan fit (order 1 follows the slope)', () => {
    const config = IsrConfigSchema.parse({ overscanFitType: 'POLY', overscanOrder: 1 });
    const { exposure, summary } = runIsr(syntheticRaw(ONE_AMP), { bias, flat }, config);
    expect([exposure.width, exposure.height]).toEqual([W, H]);
    // Float32 pixels of ~2000 ADU: a few 1e-4 ADU of rounding, times the gain.
    expectSignalRecovered(exposure.image, 2e-3);
    expect(summary.overscanLevels[0]).toBeCloseTo(overscanAt((H - 1) / 2), 4);
    expect(summary).toMatchObject({ biasApplied: true, flatApplied: true, saturatedPixels: 0, badPixels: 0 });
    // Variance: (electrons before the flat + read noise²) / flat².
    const x = 17;
    const y = 23;
    const expected = (signal(x, y) * flatAt(x, y) + 25) / flatAt(x, y) ** 2;
    expect(exposure.variance!.get(x, y)).toBeCloseTo(expected, 2);
  });

  it('recovers it with a per-row median overscan as well', () => {
    const config = IsrConfigSchema.parse({ overscanFitType: 'MEDIAN_PER_ROW' });
    const { exposure } = runIsr(syntheticRaw(ONE_AMP), { bias, flat }, config);
    expectSignalRecovered(exposure.image, 2e-3);
  });

  it('is off by the overscan slope when the fit is a constant', () => {
    const config = IsrConfigSchema.parse({ overscanFitType: 'POLY', overscanOrder: 0 });
    const { exposure } = runIsr(syntheticRaw(ONE_AMP), { bias, flat }, config);
    // 0.05 ADU per row over 40 rows: ±1 ADU at the ends, times gain / flat.
    expect(Math.abs(exposure.image.get(10, 0) - signal(10, 0))).toBeGreaterThan(1);
  });

  it('assembles two amplifiers with their own overscan, gain and read noise', () => {
    const config = IsrConfigSchema.parse({});
    const { exposure, summary } = runIsr(syntheticRaw(TWO_AMPS), { bias, flat }, config);
    expect(summary.amplifiers).toBe(2);
    expect(summary.overscanLevels[0]).toBeCloseTo(overscanAt((H - 1) / 2, 0), 4);
    expect(summary.overscanLevels[1]).toBeCloseTo(overscanAt((H - 1) / 2, 1), 4);
    expect([exposure.width, exposure.height]).toEqual([W, H]);
    expectSignalRecovered(exposure.image, 2e-3);
    // Read noise of each half in the variance.
    const left = exposure.variance!.get(5, 5) * flatAt(5, 5) ** 2 - signal(5, 5) * flatAt(5, 5);
    const right = exposure.variance!.get(45, 5) * flatAt(45, 5) ** 2 - signal(45, 5) * flatAt(45, 5);
    expect(left).toBeCloseTo(16, 1);
    expect(right).toBeCloseTo(36, 1);
    const md = exposure.metadata;
    expect(headerValue(md as HeaderCard[], 'OSCAN2')).toBeCloseTo(overscanAt((H - 1) / 2, 1), 2);
  });

  it('masks saturated pixels from the raw ADU, follows a bleed trail down its column, and interpolates them', () => {
    const raw = syntheticRaw(ONE_AMP, { saturation: 10_000 });
    const a = raw.image.array;
    const rawWidth = W + OVERSCAN;
    const column = 20;
    const level = (y: number) => overscanAt(y) + biasAt(column, y);
    // A saturated core at rows 10-14, a trail above it at 70% and then 30% of the saturation level (electrons).
    const fullWell = (10_000 - overscanAt(20)) * 1.7;
    for (let y = 10; y <= 14; y++) a[y * rawWidth + column] = 10_050;
    for (let y = 15; y <= 24; y++) a[y * rawWidth + column] = level(y) + (0.7 * fullWell) / 1.7;
    for (let y = 25; y <= 30; y++) a[y * rawWidth + column] = level(y) + (0.3 * fullWell) / 1.7;
    const config = IsrConfigSchema.parse({ saturatedGrowRadius: 0, doFlat: false });
    const { exposure, summary } = runIsr(raw, { bias }, config);
    const sat = exposure.mask.bitMask('SAT');
    const intrp = exposure.mask.bitMask('INTRP');
    for (let y = 10; y <= 24; y++) expect(exposure.mask.get(column, y) & sat).toBe(sat);
    for (let y = 25; y <= 30; y++) expect(exposure.mask.get(column, y) & sat).toBe(0);
    expect(exposure.mask.get(column, 9) & sat).toBe(0);
    expect(summary.saturatedPixels).toBe(15);
    // Interpolated along the row from the columns either side (the signal is linear in x).
    expect(exposure.mask.get(column, 12) & intrp).toBe(intrp);
    expect(exposure.image.get(column, 12)).toBeCloseTo(signal(column, 12) * flatAt(column, 12), 1);

    const grown = runIsr(raw, { bias }, IsrConfigSchema.parse({ saturatedGrowRadius: 1, doFlat: false }));
    expect(grown.exposure.mask.get(column + 1, 12) & sat).toBe(sat);
    expect(grown.exposure.mask.get(column, 25) & sat).toBe(sat);
    const noBleed = runIsr(raw, { bias }, IsrConfigSchema.parse({ doBleed: false, doFlat: false }));
    expect(noBleed.summary.saturatedPixels).toBe(5);
  });

  it('masks defects as BAD and interpolates over them; a non-positive flat pixel is BAD too', () => {
    const badFlat = calibration((x, y) => (x === 3 && y === 3 ? 0 : flatAt(x, y)));
    const defects = { kind: 'defects', boxes: [{ x0: 30, y0: 0, width: 1, height: 25 }] };
    const { exposure, summary } = runIsr(
      syntheticRaw(ONE_AMP),
      { bias, flat: badFlat, defects },
      IsrConfigSchema.parse({}),
    );
    expect(summary.badPixels).toBe(26);
    expect(summary.defectsApplied).toBe(true);
    const bad = exposure.mask.bitMask('BAD') | exposure.mask.bitMask('INTRP');
    expect(exposure.mask.get(30, 10) & bad).toBe(bad);
    expect(exposure.mask.get(30, 30) & bad).toBe(0);
    expect(exposure.mask.get(3, 3) & bad).toBe(bad);
    expect(exposure.image.get(30, 10)).toBeCloseTo(signal(30, 10), 2);
    expect(exposure.image.get(3, 3)).toBeCloseTo(signal(3, 3), 2);
    expect(headerValue(exposure.metadata as HeaderCard[], 'NBADPIX')).toBe(26);
    expect(headerValue(exposure.metadata as HeaderCard[], 'BUNIT')).toBe('electron');
    expect(headerValue(exposure.metadata as HeaderCard[], 'ISRDEFCT')).toBe(true);
  });

  it('refuses a raw without the amplifier keywords, and calibrations that do not fit, with coded errors', () => {
    const config = IsrConfigSchema.parse({});
    for (const keyword of ['DATASEC', 'BIASSEC', 'GAIN']) {
      expect(() => runIsr(syntheticRaw(ONE_AMP, { drop: [keyword] }), { bias, flat }, config)).toThrow(
        expect.objectContaining({ code: 'RAW_INVALID', message: expect.stringContaining(keyword) }),
      );
    }
    const outside = syntheticRaw(ONE_AMP, {
      drop: ['BIASSEC'],
      extraCards: [valueCard('BIASSEC', '[61:80,1:40]')],
    });
    expect(() => runIsr(outside, {}, config)).toThrow(expect.objectContaining({ code: 'RAW_INVALID' }));
    const small = new Exposure({ image: ImageF.zeros(box2i(0, 0, W - 1, H)) });
    expect(() => runIsr(syntheticRaw(ONE_AMP), { bias: small }, config)).toThrow(
      expect.objectContaining({
        code: 'ISR_CALIBRATION_MISMATCH',
        message: expect.stringMatching(/bias is 59x40/),
      }),
    );
    expect(() => runIsr(syntheticRaw(ONE_AMP), { flat: small }, config)).toThrow(
      expect.objectContaining({ code: 'ISR_CALIBRATION_MISMATCH' }),
    );
    expect(() =>
      runIsr(syntheticRaw(ONE_AMP), { defects: { boxes: [{ x0: 59, y0: 0, width: 2, height: 1 }] } }, config),
    ).toThrow(expect.objectContaining({ code: 'ISR_CALIBRATION_MISMATCH' }));
    expect(() => runIsr(syntheticRaw(ONE_AMP), { defects: { rows: [] } }, config)).toThrow(
      expect.objectContaining({ code: 'ISR_CALIBRATION_MISMATCH' }),
    );
  });
});
