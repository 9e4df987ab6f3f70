/** The butler's read interface over HTTP (the Butler API of `meridian serve --repo`); see docs/butler-api.md. */
export {
  type ButlerReader,
  RemoteButler,
  type RemoteButlerOptions,
  type RemoteCollection,
  type StoredFileJSON,
} from './remote-butler.js';
