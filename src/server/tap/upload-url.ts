/**
 * Uploads by URL (`UPLOAD=name,https://…`, TAPRegExt upload-http), fetched with guards against request forgery:
 * - only http and https;
 * - the host is resolved once and every address must be public: loopback, private, link-local (cloud metadata),
 *   carrier-grade NAT, multicast and reserved ranges are refused, and the connection goes to the address that was
 *   checked (the request's own `lookup`), so a second DNS answer cannot point it elsewhere;
 * - no redirects are followed (one could lead inside), the body is bounded by the upload limit while it streams, and
 *   the whole fetch by a timeout.
 * `allowPrivateHosts` lifts the address check (tests and closed deployments serving their own files).
 */

import { lookup } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { meridianError } from '../../errors.js';

const FETCH_TIMEOUT_MS = 20_000;

const notPublic = new BlockList();
for (const [address, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  notPublic.addSubnet(address, prefix, 'ipv4');
}
for (const [address, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  notPublic.addSubnet(address, prefix, 'ipv6');
}

/** Whether an address is one a server may not be sent to on a client's behalf. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return notPublic.check(mapped[1], 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return notPublic.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

function urlRefused(name: string, why: string): Error {
  return meridianError('TAP_PARAMETER', `UPLOAD ${name.slice(0, 60)}: ${why}`, { parameter: 'UPLOAD' });
}

/** A `lookup` that resolves every address and refuses the host unless all are public. */
function checkedLookup(name: string, allowPrivateHosts: boolean): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as unknown as { address: string; family: number }[];
      if (!allowPrivateHosts && (list.length === 0 || list.some((a) => isPrivateAddress(a.address)))) {
        return callback(
          urlRefused(
            name,
            `the host ${hostname} is not a public address; this service fetches only from public hosts`,
          ) as NodeJS.ErrnoException,
          '',
          0,
        );
      }
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}

/** Fetches an uploaded table's document from a URL, at most `maxBytes` bytes. */
export async function fetchUploadUrl(
  name: string,
  url: string,
  options: { readonly maxBytes: number; readonly allowPrivateHosts: boolean; readonly signal?: AbortSignal },
): Promise<Buffer> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw urlRefused(name, `${JSON.stringify(url.slice(0, 100))} is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw urlRefused(name, `only http and https URLs are fetched, not ${parsed.protocol}`);
  }
  const literal = parsed.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) !== 0 && !options.allowPrivateHosts && isPrivateAddress(literal)) {
    throw urlRefused(
      name,
      `the host ${literal} is not a public address; this service fetches only from public hosts`,
    );
  }
  const signal = AbortSignal.any([
    AbortSignal.timeout(FETCH_TIMEOUT_MS),
    ...(options.signal ? [options.signal] : []),
  ]);
  const request = parsed.protocol === 'https:' ? httpsRequest : httpRequest;
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(parsed, { lookup: checkedLookup(name, options.allowPrivateHosts), signal }, resolve);
    req.on('error', (err) =>
      reject(
        (err as { code?: string }).code === 'TAP_PARAMETER'
          ? err
          : urlRefused(
              name,
              `fetching ${parsed.origin}${parsed.pathname.slice(0, 80)} failed (${signal.aborted ? 'timed out' : (err as Error).message.slice(0, 100)})`,
            ),
      ),
    );
    req.end();
  });
  try {
    if (response.statusCode !== 200) {
      throw urlRefused(
        name,
        `${parsed.origin}${parsed.pathname.slice(0, 80)} answered HTTP ${response.statusCode} (redirects are not followed)`,
      );
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response) {
      size += (chunk as Buffer).length;
      if (size > options.maxBytes) {
        throw meridianError(
          'VOTABLE_TOO_LARGE',
          `the table uploaded as ${name.slice(0, 60)} is larger than ${options.maxBytes} bytes`,
          {
            maxBytes: options.maxBytes,
          },
        );
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  } catch (err) {
    if (signal.aborted && !(err as { code?: string }).code)
      throw urlRefused(name, 'fetching the table timed out');
    throw err;
  } finally {
    response.destroy();
  }
}
