/** File formats: FITS (images, binary tables, checksums) and TAN-SIP WCS. Depends on nothing else in Meridian. */
export * from './fits/index.js';
export * from './wcs/index.js';
