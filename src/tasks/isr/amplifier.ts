/**
 * Amplifier geometry of a raw: where each amplifier's imaging pixels (DATASEC) and serial overscan (BIASSEC) lie in
 * the raw array, where its pixels go in the assembled, trimmed detector image (DETSEC), and its gain, read noise
 * and saturation level. Read from the raw header, as the camera writes it:
 *
 * - one amplifier (no NAMPS, or NAMPS = 1): DATASEC, BIASSEC, GAIN, RDNOISE, SATURATE; DETSEC optional (default:
 *   the data section's size at the origin). This is what MeridianCam writes.
 * - NAMPS = n > 1: DATASECk, BIASSECk, DETSECk, GAINk, RDNOISEk for k = 1..n, and SATURk or else SATURATE (FITS
 *   keywords have at most 8 characters, so SATURATEk cannot exist).
 */
import { meridianError } from '../../errors.js';
import { type HeaderCard, headerValue } from '../../formats/index.js';
import { parseFitsSection, type Section } from '../stats/raw-statistics.js';

export interface Amplifier {
  readonly name: string;
  /** Imaging pixels in the raw array (0-based). */
  readonly dataSection: Section;
  /** Serial overscan in the raw array: the same rows as the data section. */
  readonly biasSection: Section;
  /** Where the data section goes in the assembled detector image (same size as the data section). */
  readonly detectorSection: Section;
  /** Electrons per ADU. */
  readonly gain: number;
  /** Electrons. */
  readonly readNoise: number;
  /** Raw ADU (overscan level included) at and above which a pixel is saturated. */
  readonly saturation: number;
}

function rawInvalid(message: string, details: Record<string, unknown> = {}): Error {
  return meridianError('RAW_INVALID', message, details);
}

function card(metadata: readonly HeaderCard[], keyword: string): unknown {
  return headerValue(metadata as HeaderCard[], keyword);
}

function requireNumber(metadata: readonly HeaderCard[], keyword: string, positive: boolean): number {
  const v = card(metadata, keyword);
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || (positive ? n <= 0 : n < 0)) {
    throw rawInvalid(
      `the raw header has no usable ${keyword} (a ${positive ? 'positive' : 'non-negative'} number): ISR needs it`,
      { keyword },
    );
  }
  return n;
}

function section(metadata: readonly HeaderCard[], keyword: string): Section {
  const v = card(metadata, keyword);
  if (typeof v !== 'string') {
    throw rawInvalid(`the raw header has no ${keyword} section: ISR needs the amplifier geometry`, {
      keyword,
    });
  }
  try {
    return parseFitsSection(v, keyword);
  } catch (err) {
    throw meridianError('RAW_INVALID', (err as Error).message, { keyword }, err);
  }
}

function inside(s: Section, width: number, height: number): boolean {
  return s.x0 >= 0 && s.y0 >= 0 && s.x0 + s.width <= width && s.y0 + s.height <= height;
}

function overlaps(a: Section, b: Section): boolean {
  return a.x0 < b.x0 + b.width && b.x0 < a.x0 + a.width && a.y0 < b.y0 + b.height && b.y0 < a.y0 + a.height;
}

/**
 * The amplifiers of a raw of `rawWidth` x `rawHeight` pixels, checked: sections inside the raw, overscan rows equal
 * to data rows, detector sections the size of the data sections and not overlapping. RAW_INVALID otherwise.
 */
export function amplifiersFromHeader(
  metadata: readonly HeaderCard[],
  rawWidth: number,
  rawHeight: number,
): Amplifier[] {
  const namps = card(metadata, 'NAMPS');
  const count = namps === undefined ? 1 : Number(namps);
  if (!Number.isInteger(count) || count < 1 || count > 64) {
    throw rawInvalid(`the raw header's NAMPS is not an amplifier count from 1 to 64: ${String(namps)}`);
  }
  const amps: Amplifier[] = [];
  for (let k = 1; k <= count; k++) {
    const suffix = count === 1 ? '' : String(k);
    const dataSection = section(metadata, `DATASEC${suffix}`);
    const biasSection = section(metadata, `BIASSEC${suffix}`);
    const detectorSection =
      count === 1 && card(metadata, 'DETSEC') === undefined
        ? { x0: 0, y0: 0, width: dataSection.width, height: dataSection.height }
        : section(metadata, `DETSEC${suffix}`);
    const saturationKey =
      count > 1 && card(metadata, `SATUR${suffix}`) !== undefined ? `SATUR${suffix}` : 'SATURATE';
    const amp: Amplifier = {
      name: `C${String(k - 1).padStart(2, '0')}`,
      dataSection,
      biasSection,
      detectorSection,
      gain: requireNumber(metadata, `GAIN${suffix}`, true),
      readNoise: requireNumber(metadata, `RDNOISE${suffix}`, false),
      saturation: requireNumber(metadata, saturationKey, true),
    };
    for (const [keyword, s] of [
      [`DATASEC${suffix}`, dataSection],
      [`BIASSEC${suffix}`, biasSection],
    ] as const) {
      if (!inside(s, rawWidth, rawHeight)) {
        throw rawInvalid(`${keyword} lies outside the ${rawWidth}x${rawHeight} raw`, { keyword });
      }
    }
    if (biasSection.y0 !== dataSection.y0 || biasSection.height !== dataSection.height) {
      throw rawInvalid(
        `BIASSEC${suffix} rows differ from DATASEC${suffix} rows: a serial overscan shares its amplifier's rows`,
      );
    }
    if (detectorSection.width !== dataSection.width || detectorSection.height !== dataSection.height) {
      throw rawInvalid(`DETSEC${suffix} is not the size of DATASEC${suffix}`);
    }
    if (amps.some((other) => overlaps(other.detectorSection, detectorSection))) {
      throw rawInvalid(`DETSEC${suffix} overlaps another amplifier's detector section`);
    }
    amps.push(Object.freeze(amp));
  }
  return amps;
}

/** Size of the assembled detector: the bounding box of the detector sections (from the origin). */
export function assembledSize(amps: readonly Amplifier[]): { width: number; height: number } {
  let width = 0;
  let height = 0;
  for (const a of amps) {
    width = Math.max(width, a.detectorSection.x0 + a.detectorSection.width);
    height = Math.max(height, a.detectorSection.y0 + a.detectorSection.height);
  }
  return { width, height };
}
