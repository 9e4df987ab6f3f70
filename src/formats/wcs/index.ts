export { solveLeastSquares } from './fit-least-squares.js';
export {
  fitTanSip,
  separationMas,
  skyResidualsMas,
  type TanSipFit,
  type TanSipFitOptions,
  tanSipTermCount,
} from './fit-tan-sip.js';
export { wcsFromHeader, wcsToCards } from './header.js';
export { type SipDistortion, type SipPolynomial, sipPolynomial } from './sip.js';
export {
  makeTanSipWcs,
  type PixelPosition,
  pixelsToSky,
  pixelToSky,
  type SkyPosition,
  skyToPixel,
  skyToPixels,
  type TanSipInput,
  type TanSipWcs,
} from './tan-sip.js';
