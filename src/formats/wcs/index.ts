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
