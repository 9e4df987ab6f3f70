export {
  type CardValue,
  type CommentaryCard,
  commentaryCard,
  type HeaderCard,
  type UnparsedCard,
  type ValueCard,
  valueCard,
} from './card.js';
export { encodeChecksum, onesComplementSum } from './checksum.js';
export {
  type FitsHeader,
  findCard,
  headerNumber,
  headerString,
  headerValue,
} from './header.js';
export type { Bitpix, ImageArray, ImageEncoding } from './image.js';
export {
  type ChecksumStatus,
  FitsFile,
  type FitsImage,
  type HduInfo,
  type HduKind,
  type PixelBox,
  parseFits,
  type ReadDataOptions,
  type ReadImageOptions,
  readFits,
  readImageSection,
} from './reader.js';
export { type ByteSource, bufferSource, fileSource, type PositionedReader } from './source.js';
export type { ColumnSpec, ColumnValues, FitsTable, TableColumn, VariableRow } from './table.js';
export type { ColumnFormat } from './tform.js';
export {
  fitsBuffer,
  type HduSpec,
  type ImageHduSpec,
  type TableHduSpec,
  type WriteFileOptions,
  type WriteOptions,
  writeFits,
} from './writer.js';
