/**
 * VOSI-capabilities (VOSI 1.1 §3) with the TAP capability described in TAPRegExt 1.0: the ADQL versions and the
 * optional language features the parser and compiler support, the output formats of `formats.ts`, and the row and
 * time limits, the async jobs' retention period, and uploads (inline and by http/https URL from public hosts,
 * `upload.ts`) with their size limit. Nothing here is advertised that the service does not do.
 */

import { escapeXml as x } from '../../formats/index.js';
import type { ServerLimits } from '../config.js';
import { resultFormats } from './formats.js';

const FEATURES = 'ivo://ivoa.net/std/TAPRegExt#features-';

/**
 * Geometry functions the catalog's ADQL compiler supports, in predicates and as numbers (REGION and COORDSYS are
 * refused; BOX is deprecated in ADQL 2.1 but works; geometry values cannot be selected as result columns yet).
 */
const GEOMETRY = [
  'POINT',
  'CIRCLE',
  'BOX',
  'POLYGON',
  'CENTROID',
  'AREA',
  'COORD1',
  'COORD2',
  'CONTAINS',
  'INTERSECTS',
  'DISTANCE',
];

/**
 * Optional ADQL 2.1 features (ADQL 2.1 §4, TAPRegExt feature types) with the forms supported. COALESCE works but its
 * `features-adql-conditional` key is left out: taplint of STILTS 3.4.7 (Debian, CI) does not know the key and counts
 * it as an error.
 */
const OPTIONAL_FEATURES: readonly { type: string; forms: readonly string[] }[] = [
  { type: 'adql-string', forms: ['LOWER', 'UPPER', 'ILIKE'] },
  { type: 'adql-type', forms: ['CAST'] },
  { type: 'adql-offset', forms: ['OFFSET'] },
  { type: 'adql-common-table', forms: ['WITH'] },
  { type: 'adql-sets', forms: ['UNION', 'EXCEPT', 'INTERSECT'] },
  { type: 'adql-bitwise', forms: ['BIT_AND', 'BIT_OR', 'BIT_XOR', 'BIT_NOT'] },
];

/** The sciSQL functions, with the signatures TAPRegExt wants (`name(arg TYPE, ...) -> TYPE`). */
const UDFS: readonly { form: string; description: string }[] = [
  {
    form: 'scisql_nanojanskyToAbMag(flux DOUBLE) -> DOUBLE',
    description: 'AB magnitude of a flux in nJy',
  },
  {
    form: 'scisql_nanojanskyToAbMagSigma(flux DOUBLE, fluxErr DOUBLE) -> DOUBLE',
    description: 'AB magnitude error from a flux and its error in nJy',
  },
  { form: 'scisql_abMagToNanojansky(mag DOUBLE) -> DOUBLE', description: 'flux in nJy of an AB magnitude' },
  {
    form: 'scisql_angSep(ra1 DOUBLE, dec1 DOUBLE, ra2 DOUBLE, dec2 DOUBLE) -> DOUBLE',
    description: 'angular separation in degrees',
  },
  {
    form: 'scisql_s2PtInCircle(ra DOUBLE, dec DOUBLE, ra0 DOUBLE, dec0 DOUBLE, radius DOUBLE) -> INTEGER',
    description: '1 if (ra, dec) is within radius degrees of (ra0, dec0), else 0',
  },
  {
    form: 'scisql_s2PtInBox(ra DOUBLE, dec DOUBLE, lonMin DOUBLE, latMin DOUBLE, lonMax DOUBLE, latMax DOUBLE) -> INTEGER',
    description: '1 if (ra, dec) is in the box, else 0',
  },
];

function featureList(type: string, features: readonly { form: string; description?: string }[]): string {
  const items = features
    .map(
      (f) =>
        `<feature><form>${x(f.form)}</form>${f.description ? `<description>${x(f.description)}</description>` : ''}</feature>`,
    )
    .join('');
  return `<languageFeatures type="${x(type)}">${items}</languageFeatures>\n`;
}

/**
 * VOResource securityMethod elements of an interface that needs a token (docs/auth.md): HTTP Basic with the token as
 * password, plus anonymous access (a securityMethod without standardID) when the server allows it. pyvo's
 * AuthSession reads them to decide when to send credentials.
 */
function securityMethods(anonymous: boolean): string {
  return `${anonymous ? '<securityMethod/>\n' : ''}<securityMethod standardID="ivo://ivoa.net/sso#BasicAA"/>\n`;
}

/** `security` is the interface's securityMethod elements; none for the public resources. */
function vosiCapability(standardId: string, url: string, security = ''): string {
  return `<capability standardID="${x(standardId)}">\n<interface xsi:type="vs:ParamHTTP">\n<accessURL use="full">${x(url)}</accessURL>\n${security}</interface>\n</capability>\n`;
}

export function capabilitiesDocument(
  serviceUrl: string,
  limits: ServerLimits,
  allowAnonymous = true,
): string {
  const security = securityMethods(allowAnonymous);
  const language = [
    '<language>\n<name>ADQL</name>\n',
    '<version ivo-id="ivo://ivoa.net/std/ADQL#v2.1">2.1</version>\n',
    '<version ivo-id="ivo://ivoa.net/std/ADQL#v2.0">2.0</version>\n',
    '<description>ADQL 2.1 on a Qserv-style partitioned catalog (docs/adql.md)</description>\n',
    featureList(
      `${FEATURES}adqlgeo`,
      GEOMETRY.map((form) => ({ form })),
    ),
    ...OPTIONAL_FEATURES.map((f) =>
      featureList(
        `${FEATURES}${f.type}`,
        f.forms.map((form) => ({ form })),
      ),
    ),
    featureList(`${FEATURES}udf`, UDFS),
    '</language>\n',
  ].join('');
  const outputFormats = resultFormats
    .map(
      (f) =>
        `<outputFormat${f.ivoId ? ` ivo-id="${x(f.ivoId)}"` : ''}>\n<mime>${x(f.mime)}</mime>\n${f.aliases
          .filter((a) => !/^(text|application)\//.test(a))
          .map((a) => `<alias>${x(a)}</alias>\n`)
          .join('')}</outputFormat>\n`,
    )
    .join('');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    '<vosi:capabilities xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0"',
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
    ' xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1"',
    ' xmlns:tr="http://www.ivoa.net/xml/TAPRegExt/v1.0">\n',
    '<capability standardID="ivo://ivoa.net/std/TAP" xsi:type="tr:TableAccess">\n',
    '<interface xsi:type="vs:ParamHTTP" role="std" version="1.1">\n',
    `<accessURL use="base">${x(serviceUrl)}</accessURL>\n`,
    security,
    '</interface>\n',
    language,
    outputFormats,
    '<uploadMethod ivo-id="ivo://ivoa.net/std/TAPRegExt#upload-inline"/>\n',
    '<uploadMethod ivo-id="ivo://ivoa.net/std/TAPRegExt#upload-http"/>\n',
    '<uploadMethod ivo-id="ivo://ivoa.net/std/TAPRegExt#upload-https"/>\n',
    `<retentionPeriod>\n<default>${limits.asyncRetentionSeconds}</default>\n<hard>${limits.asyncRetentionHardSeconds}</hard>\n</retentionPeriod>\n`,
    // Sync queries stop at syncTimeoutSeconds; async jobs run up to asyncExecutionDurationSeconds.
    `<executionDuration>\n<hard>${Math.round(Math.max(limits.syncTimeoutSeconds, limits.asyncExecutionDurationSeconds))}</hard>\n</executionDuration>\n`,
    `<outputLimit>\n<default unit="row">${limits.maxrecDefault}</default>\n<hard unit="row">${limits.maxrecHard}</hard>\n</outputLimit>\n`,
    `<uploadLimit>\n<hard unit="byte">${limits.uploadMaxBytes}</hard>\n</uploadLimit>\n`,
    '</capability>\n',
    vosiCapability('ivo://ivoa.net/std/VOSI#capabilities', `${serviceUrl}/capabilities`),
    vosiCapability('ivo://ivoa.net/std/VOSI#availability', `${serviceUrl}/availability`),
    vosiCapability('ivo://ivoa.net/std/VOSI#tables-1.1', `${serviceUrl}/tables`, security),
    vosiCapability('ivo://ivoa.net/std/DALI#examples', `${serviceUrl}/examples`, security),
    '</vosi:capabilities>\n',
  ].join('');
}

export function availabilityDocument(available: boolean, note: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<vosi:availability xmlns:vosi="http://www.ivoa.net/xml/VOSIAvailability/v1.0">\n<vosi:available>${available}</vosi:available>\n<vosi:note>${x(note)}</vosi:note>\n</vosi:availability>\n`;
}
