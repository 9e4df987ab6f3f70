/**
 * TAN / TAN-SIP WCS <-> FITS header cards (WCS Paper I, Greisen & Calabretta 2002, for CRPIX/CRVAL/CD/PC/CDELT;
 * Shupe et al. 2005 for A_ORDER, A_p_q, AP_ORDER, ...).
 */

import { meridianError } from '../../errors.js';
import { type HeaderCard, valueCard } from '../fits/card.js';
import { type FitsHeader, headerNumber, headerString } from '../fits/header.js';
import { type SipDistortion, type SipPolynomial, sipPolynomial } from './sip.js';
import { makeTanSipWcs, type TanSipWcs } from './tan-sip.js';

function wcsInvalid(message: string, details: Record<string, unknown> = {}): never {
  throw meridianError('WCS_INVALID', message, details);
}

function requireNumber(header: FitsHeader, keyword: string): number {
  const value = headerNumber(header, keyword);
  if (value === undefined) wcsInvalid(`WCS keyword ${keyword} is missing or not a number`, { keyword });
  return value;
}

function readPolynomial(header: FitsHeader, prefix: 'A' | 'B' | 'AP' | 'BP'): SipPolynomial | undefined {
  const order = headerNumber(header, `${prefix}_ORDER`);
  if (order === undefined) return undefined;
  if (!Number.isInteger(order) || order < 0 || order > 9) wcsInvalid(`${prefix}_ORDER ${order} is not 0..9`);
  const terms: [number, number, number][] = [];
  for (let p = 0; p <= order; p++) {
    for (let q = 0; q <= order - p; q++) {
      const value = headerNumber(header, `${prefix}_${p}_${q}`);
      if (value !== undefined) terms.push([p, q, value]);
    }
  }
  return sipPolynomial(order, terms);
}

function readSip(header: FitsHeader, hasSipSuffix: boolean): SipDistortion | undefined {
  const a = readPolynomial(header, 'A');
  const b = readPolynomial(header, 'B');
  if (!a || !b) {
    if (hasSipSuffix) wcsInvalid('CTYPE ends in -SIP but A_ORDER/B_ORDER are missing');
    return undefined;
  }
  const ap = readPolynomial(header, 'AP');
  const bp = readPolynomial(header, 'BP');
  return ap && bp ? { a, b, ap, bp } : { a, b };
}

/** The linear part: CDi_j if any is present, else PCi_j (default identity) or CROTA2, scaled by CDELTi. */
function readLinear(header: FitsHeader): [[number, number], [number, number]] {
  const cdKeys = ['CD1_1', 'CD1_2', 'CD2_1', 'CD2_2'];
  if (cdKeys.some((k) => headerNumber(header, k) !== undefined)) {
    const [a, b, c, d] = cdKeys.map((k) => headerNumber(header, k) ?? 0);
    return [
      [a, b],
      [c, d],
    ];
  }
  const cdelt1 = headerNumber(header, 'CDELT1');
  const cdelt2 = headerNumber(header, 'CDELT2');
  if (cdelt1 === undefined || cdelt2 === undefined) wcsInvalid('WCS has neither CDi_j nor CDELTi keywords');
  const hasPc = [1, 2].some((i) => [1, 2].some((j) => headerNumber(header, `PC${i}_${j}`) !== undefined));
  const crota = headerNumber(header, 'CROTA2');
  if (!hasPc && crota !== undefined && crota !== 0) {
    // The older CROTA2 form (WCS Paper II, eq. 188): CD = [[CDELT1 cos r, -CDELT2 sin r], [CDELT1 sin r, CDELT2 cos r]].
    const r = (crota * Math.PI) / 180;
    return [
      [cdelt1 * Math.cos(r), -cdelt2 * Math.sin(r)],
      [cdelt1 * Math.sin(r), cdelt2 * Math.cos(r)],
    ];
  }
  const pc = (i: number, j: number) => headerNumber(header, `PC${i}_${j}`) ?? (i === j ? 1 : 0);
  return [
    [cdelt1 * pc(1, 1), cdelt1 * pc(1, 2)],
    [cdelt2 * pc(2, 1), cdelt2 * pc(2, 2)],
  ];
}

/** Read a celestial TAN or TAN-SIP WCS (RA on axis 1, Dec on axis 2) from a header. */
export function wcsFromHeader(header: FitsHeader): TanSipWcs {
  const ctype1 = headerString(header, 'CTYPE1') ?? '';
  const ctype2 = headerString(header, 'CTYPE2') ?? '';
  const tan1 = /^RA---TAN(-SIP)?$/.exec(ctype1.trim());
  const tan2 = /^DEC--TAN(-SIP)?$/.exec(ctype2.trim());
  if (!tan1 || !tan2) {
    wcsInvalid(
      `unsupported projection CTYPE1='${ctype1}' CTYPE2='${ctype2}'; expected RA---TAN / DEC--TAN [-SIP]`,
      {
        ctype1,
        ctype2,
      },
    );
  }
  for (const axis of [1, 2]) {
    const unit = headerString(header, `CUNIT${axis}`);
    if (unit !== undefined && unit.trim() !== '' && unit.trim() !== 'deg') {
      wcsInvalid(`CUNIT${axis}='${unit}' is not supported; celestial axes must be in deg`, { unit });
    }
  }
  const sip = readSip(header, tan1[1] !== undefined || tan2[1] !== undefined);
  const lonpole = headerNumber(header, 'LONPOLE');
  return makeTanSipWcs({
    crpix: [requireNumber(header, 'CRPIX1'), requireNumber(header, 'CRPIX2')],
    crval: [requireNumber(header, 'CRVAL1'), requireNumber(header, 'CRVAL2')],
    cd: readLinear(header),
    radesys: headerString(header, 'RADESYS')?.trim() ?? 'ICRS',
    ...(lonpole === undefined ? {} : { lonpole }),
    ...(sip ? { sip } : {}),
  });
}

function polynomialCards(prefix: string, poly: SipPolynomial): HeaderCard[] {
  const cards: HeaderCard[] = [valueCard(`${prefix}_ORDER`, poly.order, 'SIP polynomial order')];
  poly.coefficients.forEach((row, p) => {
    row.forEach((value, q) => {
      if (value !== 0 && p + q <= poly.order) cards.push(valueCard(`${prefix}_${p}_${q}`, value));
    });
  });
  return cards;
}

/** Header cards describing the WCS (CD-matrix form), ready to add to an HDU's `cards`. */
export function wcsToCards(wcs: TanSipWcs): HeaderCard[] {
  const suffix = wcs.sip ? '-SIP' : '';
  const cards: HeaderCard[] = [
    valueCard('WCSAXES', 2, 'number of WCS axes'),
    valueCard('CTYPE1', `RA---TAN${suffix}`, 'gnomonic projection'),
    valueCard('CTYPE2', `DEC--TAN${suffix}`, 'gnomonic projection'),
    valueCard('CUNIT1', 'deg'),
    valueCard('CUNIT2', 'deg'),
    valueCard('CRPIX1', wcs.crpix[0], 'reference pixel (1-based)'),
    valueCard('CRPIX2', wcs.crpix[1], 'reference pixel (1-based)'),
    valueCard('CRVAL1', wcs.crval[0], '[deg] RA at reference pixel'),
    valueCard('CRVAL2', wcs.crval[1], '[deg] Dec at reference pixel'),
    valueCard('CD1_1', wcs.cd[0][0]),
    valueCard('CD1_2', wcs.cd[0][1]),
    valueCard('CD2_1', wcs.cd[1][0]),
    valueCard('CD2_2', wcs.cd[1][1]),
    valueCard('LONPOLE', wcs.lonpole, '[deg] native longitude of celestial pole'),
    valueCard('RADESYS', wcs.radesys),
  ];
  if (wcs.sip) {
    cards.push(...polynomialCards('A', wcs.sip.a), ...polynomialCards('B', wcs.sip.b));
    if (wcs.sip.ap && wcs.sip.bp)
      cards.push(...polynomialCards('AP', wcs.sip.ap), ...polynomialCards('BP', wcs.sip.bp));
  }
  return cards;
}
