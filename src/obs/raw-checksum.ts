/**
 * The FITS checksum check of raw ingest: a raw whose DATASUM (or CHECKSUM) keyword does not match its bytes was
 * damaged after the camera wrote it, and is refused before anything is registered (RAW_CHECKSUM_MISMATCH, naming
 * the file and HDU), the same condition `butler verify --checksum` would otherwise only find later in a copy.
 * HDUs without the keywords pass: the convention is optional.
 */

import { meridianError } from '../errors.js';
import { readFits } from '../formats/index.js';

export async function verifyRawChecksums(file: string): Promise<void> {
  const fits = await readFits(file);
  for (const status of await fits.verifyChecksums()) {
    if (status.datasum !== 'bad' && status.checksum !== 'bad') continue;
    const which = status.datasum === 'bad' ? 'DATASUM' : 'CHECKSUM';
    throw meridianError(
      'RAW_CHECKSUM_MISMATCH',
      `${file}: HDU ${status.hdu} does not match its ${which} keyword (DATASUM ${status.datasum}, CHECKSUM ${status.checksum}); the file is damaged`,
      { file, hdu: status.hdu, datasum: status.datasum, checksum: status.checksum },
    );
  }
}
