/**
 * Every error code Meridian raises, in one place. Each entry says what went wrong in general, the HTTP status it maps
 * to when it crosses a service boundary, and what the user should do. `docs/errors.md` is generated from this table
 * (`node scripts/gen-errors-doc.js`) and a test checks that it is current.
 *
 * Match on `err.code`, never on `instanceof`: two copies of this package in one process would break `instanceof`.
 */

export interface ErrorCodeInfo {
  /** Module that raises it, for the documentation's grouping. */
  readonly area: string;
  readonly http: number;
  readonly summary: string;
  readonly hint: string;
}

const codes = {
  // ---- general -------------------------------------------------------------------------------------------------
  INVALID_ARGUMENT: {
    area: 'general',
    http: 400,
    summary: 'An argument or option has an invalid value.',
    hint: 'Check the value against the command help (--help) or the API documentation.',
  },
  CONFIG_INVALID: {
    area: 'general',
    http: 500,
    summary: 'A configuration file or value failed validation.',
    hint: 'Fix the named key in the configuration file; `butler config-dump` shows the resolved configuration.',
  },
  NOT_IMPLEMENTED: {
    area: 'general',
    http: 501,
    summary: 'The requested feature is recognised but not supported by this back end.',
    hint: 'Use a supported alternative named in the message.',
  },
  INTERNAL: {
    area: 'general',
    http: 500,
    summary: 'An unexpected internal error.',
    hint: 'This is a bug; please report it with the full message.',
  },
  PATH_TRAVERSAL: {
    area: 'general',
    http: 400,
    summary:
      'A path from a file, a record or a user leaves the directory it must stay in (after `..` and symbolic links are resolved).',
    hint: 'Use a relative path that stays inside that directory; if reading outside it is intended, pass the option the message names (e.g. `--allow-outside-export-dir`).',
  },
  FILESYSTEM_ERROR: {
    area: 'general',
    http: 500,
    summary:
      'The file system refused an operation: permission denied, read-only, full, or a file where a directory was expected.',
    hint: 'The message names the path and the reason (EACCES, EROFS, ENOSPC, ENOTDIR, ...); fix permissions, space or the path and run the command again.',
  },
  FILE_NOT_FOUND: {
    area: 'general',
    http: 404,
    summary: 'A file that was named does not exist.',
    hint: 'Check the path.',
  },
  ABORTED: {
    area: 'general',
    // 499 is the "client closed request" status of nginx: the caller, not the server, ended the work.
    http: 499,
    summary:
      'A long call was cancelled through its AbortSignal before it finished; nothing it wrote was kept.',
    hint: 'The caller cancelled it (its AbortSignal fired); run the call again without cancelling if the work is still wanted.',
  },

  // ---- pool: worker threads for CPU-bound work -----------------------------------------------------------------
  TASK_FAILED: {
    area: 'pool',
    http: 500,
    summary: 'A task run on a worker thread threw an error that carries no Meridian code.',
    hint: 'The message and `details.cause` hold the original error; fix the task input or report the bug.',
  },
  WORKER_CRASHED: {
    area: 'pool',
    http: 500,
    summary: 'A worker thread died (uncaught error, process.exit, out of memory) while running a task.',
    hint: 'The task failed and the pool replaced the worker; the message names the exit code or the uncaught error.',
  },
  POOL_CLOSED: {
    area: 'pool',
    http: 503,
    summary: 'A task was submitted to, or was still waiting in, a worker pool that is closing or closed.',
    hint: 'Submit tasks before closing the pool, and await them before `close()`.',
  },

  // ---- butler: repository and registry ---------------------------------------------------------------------------
  REPO_NOT_FOUND: {
    area: 'butler',
    http: 404,
    summary: 'No butler repository at the given location.',
    hint: 'Create one with `butler create REPO`, or check the path.',
  },
  REPO_EXISTS: {
    area: 'butler',
    http: 409,
    summary: 'A butler repository already exists at the given location.',
    hint: 'Use the existing repository, or choose another directory.',
  },
  REPO_READ_ONLY: {
    area: 'butler',
    http: 403,
    summary: 'The butler was opened read-only and refuses writes.',
    hint: 'Open the repository writeable (`Butler.open(repo, { writeable: true })`; the CLI opens writeable for write commands).',
  },
  SCHEMA_VERSION: {
    area: 'butler',
    http: 500,
    summary: 'The registry schema version is newer than this software, or a migration failed.',
    hint: 'Upgrade Meridian, or run the migration named in the message.',
  },
  DATABASE_UNAVAILABLE: {
    area: 'butler',
    http: 503,
    summary: 'The registry database could not be reached or the connection was lost.',
    hint: 'Check that the database server is running and the registry URL in butler.yaml is right; nothing was written.',
  },
  DATABASE_BUSY: {
    area: 'butler',
    http: 503,
    summary: 'The registry database stayed locked by another writer for too long.',
    hint: 'Retry later; if it persists, look for a stuck process holding the SQLite file.',
  },
  DATABASE_SCHEMA_DAMAGED: {
    area: 'butler',
    http: 500,
    summary:
      'The registry database lacks a table or column that its schema version promises: it was changed outside Meridian.',
    hint: 'Restore the registry database from a backup (the message names what is missing); do not edit its tables by hand.',
  },
  UNKNOWN_DIMENSION: {
    area: 'butler',
    http: 400,
    summary: 'A dimension or dimension element name is not in the universe.',
    hint: 'See the dimension names with `butler config-dump --subset dimensions`.',
  },
  DATA_ID_INCOMPLETE: {
    area: 'butler',
    http: 400,
    summary: 'A data ID lacks a required key.',
    hint: 'Add the missing key named in the message (for example `detector=1`).',
  },
  DATA_ID_INCONSISTENT: {
    area: 'butler',
    http: 400,
    summary: 'A data ID has values that contradict each other or the dimension records.',
    hint: 'Remove or fix the contradicting key named in the message.',
  },
  DATA_ID_INVALID: {
    area: 'butler',
    http: 400,
    summary: 'A data ID value has the wrong type or does not exist in the registry.',
    hint: 'Insert the dimension record first, or fix the value (see `butler query-dimension-records`).',
  },
  DIMENSION_RECORD_CONFLICT: {
    area: 'butler',
    http: 409,
    summary: 'A dimension record with the same key but different values already exists.',
    hint: 'Use the existing record, or remove it first.',
  },
  DATASET_TYPE_UNKNOWN: {
    area: 'butler',
    http: 404,
    summary: 'The dataset type is not registered.',
    hint: 'Register it with `butler register-dataset-type`, or check the name with `butler query-dataset-types`.',
  },
  DATASET_TYPE_CONFLICT: {
    area: 'butler',
    http: 409,
    summary: 'A dataset type with this name is registered with a different definition.',
    hint: 'Use the registered definition (`butler query-dataset-types -v`), or remove the old type if it has no datasets.',
  },
  DATASET_TYPE_IN_USE: {
    area: 'butler',
    http: 409,
    summary: 'The dataset type still has datasets and cannot be removed.',
    hint: 'Remove its datasets first with `butler prune-datasets` or `butler remove-runs`.',
  },
  DATASET_TYPE_NAME_INVALID: {
    area: 'butler',
    http: 400,
    summary: 'The dataset type name is not a valid identifier.',
    hint: 'Use letters, digits and underscores, starting with a letter; a dot separates a component.',
  },
  STORAGE_CLASS_UNKNOWN: {
    area: 'butler',
    http: 400,
    summary: 'The storage class is not known.',
    hint: 'See the storage classes with `butler config-dump --subset storageClasses`.',
  },
  COMPONENT_UNKNOWN: {
    area: 'butler',
    http: 400,
    summary: 'The storage class has no such component.',
    hint: 'Use one of the components listed in the message.',
  },
  FORMATTER_UNKNOWN: {
    area: 'butler',
    http: 500,
    summary: 'No formatter is configured for the storage class.',
    hint: 'Configure a formatter or use a storage class with one.',
  },
  COLLECTION_UNKNOWN: {
    area: 'butler',
    http: 404,
    summary: 'The collection does not exist.',
    hint: 'Check the name with `butler query-collections`.',
  },
  COLLECTION_TYPE: {
    area: 'butler',
    http: 400,
    summary: 'The collection has the wrong type for the operation (for example associating into a RUN).',
    hint: 'Use a collection of the type named in the message.',
  },
  COLLECTION_EXISTS: {
    area: 'butler',
    http: 409,
    summary: 'A collection with this name already exists with a different type.',
    hint: 'Choose another name or remove the existing collection.',
  },
  COLLECTION_IN_USE: {
    area: 'butler',
    http: 409,
    summary: 'The collection is a child of a CHAINED collection and cannot be removed.',
    hint: 'Remove it from its parent chains first (`butler collection-chain REPO PARENT CHILD --mode remove`), or pass --force to `butler remove-runs` (API: unlinkFromChains).',
  },
  COLLECTION_CYCLE: {
    area: 'butler',
    http: 400,
    summary: 'The chain definition would create a cycle.',
    hint: 'A chain cannot contain itself, directly or through its children.',
  },
  COLLECTION_NAME_INVALID: {
    area: 'butler',
    http: 400,
    summary: 'The collection name is empty, too long (over 64 characters) or contains wildcard characters.',
    hint: 'Use a plain name of at most 64 characters.',
  },
  DATASET_CONFLICT: {
    area: 'butler',
    http: 409,
    summary: 'A different dataset with the same type and data ID already exists in the collection.',
    hint: 'Write into a new RUN, or remove the existing dataset first (`butler prune-datasets`).',
  },
  CALIBRATION_CONFLICT: {
    area: 'butler',
    http: 409,
    summary:
      'The certification validity range overlaps an existing one for the same dataset type and data ID.',
    hint: 'Decertify the overlapping range first, or choose a non-overlapping range.',
  },
  CALIBRATION_AMBIGUOUS: {
    area: 'butler',
    http: 409,
    summary: 'More than one calibration is valid over the lookup timespan.',
    hint: 'Narrow the timespan (give an exposure or visit data ID, or `timespan=`).',
  },
  CALIBRATION_TIMESPAN_REQUIRED: {
    area: 'butler',
    http: 400,
    summary: 'A lookup in a CALIBRATION collection needs a timespan.',
    hint: 'Give an exposure or visit in the data ID, or pass a timespan.',
  },
  DATASET_NOT_FOUND: {
    area: 'butler',
    http: 404,
    summary: 'No dataset matches the type, data ID and collections.',
    hint: 'Check the collections searched and the data ID with `butler query-datasets`.',
  },
  DATASET_FILE_MISSING: {
    area: 'butler',
    http: 404,
    summary: 'The registry knows the dataset but its file is missing from the datastore.',
    hint: 'Run `butler verify REPO` to list the damage; restore the file or prune the dataset.',
  },
  DATASET_FILE_UNREADABLE: {
    area: 'butler',
    http: 500,
    summary:
      'A dataset file exists but its formatter could not read its content (truncated, corrupt or wrong type).',
    hint: 'Run `butler verify REPO` to check sizes and checksums; restore the file or prune the dataset.',
  },
  DATASET_CHECKSUM_MISMATCH: {
    area: 'butler',
    http: 500,
    summary: 'A file does not match the checksum recorded when it was stored.',
    hint: 'The file was changed or corrupted after it was written; restore it from a copy.',
  },
  RUN_REQUIRED: {
    area: 'butler',
    http: 400,
    summary: 'A write needs an output RUN collection.',
    hint: 'Pass `run` (API), or the RUN argument / `--output-run` (CLI).',
  },
  QUERY_SYNTAX: {
    area: 'butler',
    http: 400,
    summary: 'The `where` expression has a syntax error; the message gives line and column.',
    hint: 'Fix the expression at the reported position.',
  },
  QUERY_INVALID: {
    area: 'butler',
    http: 400,
    summary:
      'The `where` expression is well formed but refers to unknown names, wrong types or missing bind values.',
    hint: 'Check the identifiers (dimension names, element.field) and bind parameters named in the message.',
  },
  TRANSFER_MODE_INVALID: {
    area: 'butler',
    http: 400,
    summary: 'The transfer mode is not supported for this operation.',
    hint: 'Use one of: auto, copy, move, link, hardlink, symlink, relsymlink, direct.',
  },
  FILE_EXISTS: {
    area: 'butler',
    http: 409,
    summary: 'The target file already exists and would be overwritten.',
    hint: 'In a repository, a file that no dataset record points to is replaced by the retry; a file still in the trash is removed by `butler cleanup REPO`, then retry. For `butler retrieve-artifacts`, choose another destination or pass --clobber.',
  },
  EXPORT_FORMAT: {
    area: 'butler',
    http: 400,
    summary: 'An export file has an unsupported version or malformed content.',
    hint: 'Check that the file is a Meridian/daf_butler YAML export of a supported version.',
  },
  TABLE_FORMAT: {
    area: 'butler',
    http: 400,
    summary: 'An ingest table (CSV/ECSV) is malformed.',
    hint: 'The table needs a header row with a file column and one column per dimension.',
  },

  // ---- sphere ----------------------------------------------------------------------------------------------------
  GEOMETRY_INVALID: {
    area: 'sphere',
    http: 400,
    summary: 'A geometric value is out of range or degenerate (for example a non-convex polygon).',
    hint: 'Check coordinates (degrees), radii and vertex order.',
  },
  REGION_ENCODING: {
    area: 'sphere',
    http: 400,
    summary: 'An encoded region could not be decoded.',
    hint: 'The value is not a region written by Meridian.',
  },

  // ---- formats ---------------------------------------------------------------------------------------------------
  FITS_INVALID: {
    area: 'formats',
    http: 400,
    summary:
      'A FITS file is corrupt, truncated or violates the standard; the message names the file and HDU.',
    hint: 'Check the file with `fitsverify`; re-create or re-transfer it.',
  },
  FITS_UNSUPPORTED: {
    area: 'formats',
    http: 400,
    summary: 'The FITS file uses a feature Meridian does not read.',
    hint: 'Convert the file (for example uncompress it) before reading it.',
  },
  WCS_INVALID: {
    area: 'formats',
    http: 400,
    summary: 'A WCS header is missing keywords or describes an unsupported projection.',
    hint: 'Meridian reads TAN and TAN-SIP; check CTYPE, CRPIX, CRVAL and CD/PC keywords.',
  },
  PARQUET_INVALID: {
    area: 'formats',
    http: 400,
    summary: 'A Parquet file could not be read or written.',
    hint: 'Check the file and the requested columns.',
  },
  VOTABLE_INVALID: {
    area: 'formats',
    http: 400,
    summary: 'A VOTable document is malformed.',
    hint: 'Validate the document against VOTable 1.4.',
  },
  VOTABLE_TOO_LARGE: {
    area: 'formats',
    http: 413,
    summary: 'A VOTable document (a TAP upload) is larger than the byte or row limit of its reader.',
    hint: 'Upload fewer rows or columns; the TAP service shows its upload limit in /api/tap/capabilities.',
  },

  // ---- obs (instrument, raw ingest) ------------------------------------------------------------------------------
  RAW_INVALID: {
    area: 'obs',
    http: 400,
    summary:
      'A raw file cannot be ingested: it is truncated, not FITS, or lacks a header keyword the instrument needs.',
    hint: 'The message names the file and keyword; fix or remove the file, or ingest with `--on-error skip`.',
  },
  RAW_CHECKSUM_MISMATCH: {
    area: 'obs',
    http: 400,
    summary:
      "A raw's DATASUM or CHECKSUM keyword does not match its bytes: the file changed after it was written.",
    hint: 'The message names the file and HDU; copy the file again from its source, or ingest the others with `--on-error skip`.',
  },

  // ---- catalog ---------------------------------------------------------------------------------------------------
  ADQL_SYNTAX: {
    area: 'catalog',
    http: 400,
    summary:
      'The ADQL query has a syntax error; the message says what was expected at which line and column.',
    hint: 'Fix the query at the reported position.',
  },
  ADQL_UNSUPPORTED: {
    area: 'catalog',
    http: 400,
    summary: 'The ADQL query uses a construct Meridian does not support; the message names it.',
    hint: 'Rewrite the query without the named construct.',
  },
  ADQL_SEMANTIC: {
    area: 'catalog',
    http: 400,
    summary: 'The ADQL query refers to unknown tables or columns, or mixes types wrongly.',
    hint: 'Check table and column names in TAP_SCHEMA or `meridian catalog stats`.',
  },
  CATALOG_NOT_FOUND: {
    area: 'catalog',
    http: 404,
    summary: 'No catalog database at the given location.',
    hint: 'Create one with `meridian catalog create`.',
  },
  CATALOG_SCHEMA_INVALID: {
    area: 'catalog',
    http: 400,
    summary: 'The catalog schema file is invalid.',
    hint: 'Fix the named table or column in the schema YAML.',
  },
  CATALOG_INGEST: {
    area: 'catalog',
    http: 400,
    summary: 'A catalog ingest failed; the transaction was aborted and no rows were kept.',
    hint: 'Fix the input file named in the message and contribute it again.',
  },
  CATALOG_DUPLICATE_CONTRIBUTION: {
    area: 'catalog',
    http: 409,
    summary:
      'A file with the same content was already contributed to this table in a committed transaction (or twice to one transaction).',
    hint: 'Nothing to do; the rows are already there.',
  },
  CATALOG_CONTRIBUTION_PENDING: {
    area: 'catalog',
    http: 409,
    summary:
      'A file with the same content is staged in an open (started) ingest transaction that was neither committed nor aborted.',
    hint: 'Commit that transaction (`meridian catalog transaction commit DIR ID`) if it holds what you want, or abort it (`meridian catalog transaction abort DIR ID`) and ingest again; the message names the transaction.',
  },
  CATALOG_INPUT_INCOMPLETE: {
    area: 'catalog',
    http: 400,
    summary:
      'A directory to load is incomplete: the manifest.json of `meridian sim catalogs` is missing (the simulation did not finish) or tables it lists are missing; nothing was ingested.',
    hint: 'Run `meridian sim catalogs` again into an empty directory and let it finish, or restore the tables named in the message; load files of your own with `meridian catalog ingest DIR TABLE FILES...`.',
  },
  CATALOG_COLUMNS_MISMATCH: {
    area: 'catalog',
    http: 400,
    summary:
      "The columns of a file to load do not fit the catalog table: a column the table requires is missing, a value type cannot be converted to the column's, or the file has columns the table lacks; nothing was written.",
    hint: 'Load into a catalog whose schema has these columns (for pipeline outputs, a new catalog made from config/catalog/drp.yaml), or fix the file; the message names the table, file and columns.',
  },
  CATALOG_ROWS_EXIST: {
    area: 'catalog',
    http: 409,
    summary:
      'Rows with the same keys as the file to load are already in the table, loaded from a file with different content; loading it would duplicate them. Nothing was written.',
    hint: 'Load the new outputs into a new catalog database, or load only files whose rows are not there yet; the message names the table and some of the keys.',
  },
  CATALOG_ENGINE: {
    area: 'catalog',
    http: 500,
    summary:
      'The catalog engine (DuckDB or a PostgreSQL worker) failed for a reason of its own (an internal fault, an I/O error); the query or ingest was not at fault.',
    hint: 'Retry; if it fails again, check the server log of the worker named in the message (or the disk holding the catalog) and report the message.',
  },
  CATALOG_BUSY: {
    area: 'catalog',
    http: 503,
    summary:
      'The catalog is locked by another process or a conflicting transaction (DuckDB file lock, write conflict, PostgreSQL lock timeout or serialization failure).',
    hint: 'Retry in a moment; if it persists, look for the process named in the message that holds the catalog open.',
  },
  CATALOG_READ_ONLY: {
    area: 'catalog',
    http: 403,
    summary:
      'The catalog was opened read-only and refuses writes (ingest, transactions), or it needs a recovery that only a read-write open does.',
    hint: 'Open the catalog without `readOnly` (with no other process holding it) to ingest or to recover an interrupted commit; read-only opens are for serving queries.',
  },
  CATALOG_WORKER_UNAVAILABLE: {
    area: 'catalog',
    http: 503,
    summary:
      'A PostgreSQL worker of the catalog could not be reached, refused the connection, or dropped it; the message names the worker.',
    hint: 'Check that the named worker server and database are running and reachable at the URL in the catalog configuration (catalog.json), then retry; nothing was written.',
  },
  RESOURCE_LIMIT: {
    area: 'catalog',
    http: 503,
    summary:
      'The engine ran out of memory or disk space, or the statement exceeded one of its size or depth limits.',
    hint: 'Narrow the query (TOP, a tighter WHERE, fewer columns), free disk space, or raise the engine limit named in the message (DuckDB memory_limit, PostgreSQL work_mem); then retry.',
  },
  QUERY_LIMIT: {
    area: 'catalog',
    http: 413,
    summary: 'The query result exceeded the row limit.',
    hint: 'Add TOP/LIMIT or a tighter WHERE clause, or raise the limit.',
  },
  QUERY_TIMEOUT: {
    area: 'catalog',
    http: 408,
    summary: 'The query ran longer than its timeout and was cancelled.',
    hint: 'Restrict the query spatially or by id, or raise the timeout.',
  },
  QUERY_CANCELLED: {
    area: 'catalog',
    http: 499,
    summary: 'The query was cancelled.',
    hint: 'Run it again if the cancellation was unintended.',
  },
  CROSS_MATCH_PARTITIONING: {
    area: 'catalog',
    http: 400,
    summary:
      'A positional cross-match joins two director tables partitioned on different chunk grids or overlaps, so matching rows need not meet in one chunk.',
    hint: 'Cross-match tables of one catalog database (one partitioning), or restrict one side to a small region and match it as a TAP upload.',
  },
  NEAR_NEIGHBOUR_RADIUS: {
    area: 'catalog',
    http: 400,
    summary: 'A near-neighbour join radius is larger than the partition overlap.',
    hint: 'Use a radius no larger than the overlap named in the message.',
  },

  // ---- server: the HTTP services (TAP, later the Butler API) ---------------------------------------------------------
  TAP_PARAMETER: {
    area: 'server',
    http: 400,
    summary:
      'A TAP request parameter is missing or has a value the service does not accept (LANG, REQUEST, QUERY, MAXREC, RESPONSEFORMAT).',
    hint: 'The message names the parameter; /api/tap/capabilities lists the query languages, output formats and row limits.',
  },
  SERVER_BUSY: {
    area: 'server',
    http: 503,
    summary: 'The service is already running as many queries as its limit allows.',
    hint: 'Retry after the number of seconds in the Retry-After header.',
  },
  PORTAL_NOT_BUILT: {
    area: 'server',
    http: 404,
    summary:
      "The Portal's web files (dist/portal) are missing from this installation, so /portal cannot be served.",
    hint: 'Run `npm run build` in the Meridian checkout (it builds dist/portal with Vite), then start the server again.',
  },
  UWS_JOB_NOT_FOUND: {
    area: 'server',
    http: 404,
    summary: 'No TAP async job has this id (it never existed, was deleted, or passed its destruction time).',
    hint: 'List your jobs at /api/tap/async; results are kept until the destruction time shown in the job document.',
  },
  UPLOAD_INVALID: {
    area: 'catalog',
    http: 400,
    summary:
      'An uploaded table (TAP_UPLOAD) cannot be used: a bad table or column name, a repeated name, or a column type the catalog cannot hold.',
    hint: 'Name tables and columns with letters, digits and underscores (starting with a letter), and send scalar columns.',
  },
  UWS_PHASE: {
    area: 'server',
    http: 400,
    summary:
      'A UWS job request is not valid for the job or its phase (an unknown PHASE or ACTION, a change to a running job).',
    hint: 'PHASE takes RUN or ABORT; parameters, execution duration and destruction change only while the job is PENDING.',
  },

  // ---- server auth: tokens, scopes and per-user limits ----------------------------------------------------------------
  AUTH_REQUIRED: {
    area: 'server auth',
    http: 401,
    summary:
      'The request carries no credentials, or a token that is malformed, unknown, revoked or expired (the message says which, never the token).',
    hint: 'Send `Authorization: Bearer <token>`, or HTTP Basic with user `x-oauth-basic` and the token as password; `meridian token create` makes a token (docs/auth.md).',
  },
  AUTH_SCOPE: {
    area: 'server auth',
    http: 403,
    summary:
      'The token is valid but lacks the scope this resource needs (read:tap, read:image, read:butler, exec:bps, admin).',
    hint: 'Create a token with the scope the message names: `meridian token create --scope <scope> ...`.',
  },
  AUTH_UNKNOWN_SCOPE: {
    area: 'server auth',
    http: 400,
    summary: 'A token scope name is not one Meridian knows.',
    hint: 'Use read:tap, read:image, read:butler, exec:bps or admin.',
  },
  TOKEN_NOT_FOUND: {
    area: 'server auth',
    http: 404,
    summary: 'No token has this id.',
    hint: '`meridian token list` shows the token ids (the part after `mrd_` and before the second `_`).',
  },
  RATE_LIMITED: {
    area: 'server auth',
    http: 429,
    summary: "The user sent more requests than the server's per-user request rate allows.",
    hint: 'Wait the number of seconds in the Retry-After header, then send fewer requests per second.',
  },
  USER_QUOTA: {
    area: 'server auth',
    http: 429,
    summary:
      'The user already has as many queries running, or as many async jobs kept, as the per-user limits allow.',
    hint: 'Wait for a running query to end (Retry-After), or delete finished async jobs (DELETE /api/tap/async/<id>).',
  },
  HTTP_NOT_FOUND: {
    area: 'server',
    http: 404,
    summary: 'No resource of the service has this URL.',
    hint: 'Check the path; GET /api/butler lists the Butler API routes and /api/tap the TAP resources.',
  },
  RANGE_NOT_SATISFIABLE: {
    area: 'server',
    http: 416,
    summary: 'An HTTP Range header asks for bytes beyond the end of the file.',
    hint: 'The Content-Range header of the answer gives the file size; ask for a range that starts before it.',
  },
  REMOTE_UNAVAILABLE: {
    area: 'server',
    http: 502,
    summary:
      "A remote Meridian service (a RemoteButler's server) could not be reached or gave an answer that is not its API.",
    hint: 'Check the URL and that the server is running (`meridian serve --repo ...`); the message names the HTTP status or network error.',
  },
  // ---- pipe (pipelines, quantum graphs, execution) --------------------------------------------------------------
  NO_WORK_FOUND: {
    area: 'pipe',
    http: 200,
    summary:
      'A task found nothing to do for a quantum (not a failure): the quantum is dropped at build time, or succeeds with no outputs at run time.',
    hint: 'Nothing to fix; the message says why there was no work (e.g. fewer inputs than the connection minimum).',
  },
  TASK_NOT_FOUND: {
    area: 'pipe',
    http: 400,
    summary: 'A pipeline names a task class that no loaded task module registers.',
    hint: 'Check the spelling against `pipetask build --show tasks`, or name the module that defines it with `--task-module`.',
  },
  PIPELINE_INVALID: {
    area: 'pipe',
    http: 400,
    summary:
      'A pipeline definition is malformed: bad YAML, duplicate key, unknown key, unknown label or subset, a cycle, or two tasks writing one dataset type.',
    hint: 'The message names the file, line and key; fix the pipeline YAML and check it with `pipetask build -p FILE`.',
  },
  PIPELINE_CONTRACT_FAILED: {
    area: 'pipe',
    http: 400,
    summary:
      'A pipeline contract (a boolean expression over task configs) is false after all config overrides were applied.',
    hint: 'Change the config overrides so the contract holds; the message gives the contract and its `msg`.',
  },
  QGRAPH_EMPTY: {
    area: 'pipe',
    http: 400,
    summary: "The data query and the pipeline's inputs produce no quanta.",
    hint: 'The message says which input dataset type or constraint gave zero rows; widen the data query (-d) or add the input collections (-i) that hold it.',
  },
  QGRAPH_INVALID: {
    area: 'pipe',
    http: 400,
    summary:
      'A quantum graph file is unreadable: not a graph file, a newer format version, truncated or corrupt.',
    hint: 'Rebuild it with `pipetask qgraph`, or read it with the Meridian version that wrote it.',
  },
  PREREQUISITE_MISSING: {
    area: 'pipe',
    http: 400,
    summary:
      'A prerequisite input (a calibration, a reference catalog shard) was not found for a quantum at graph-build time.',
    hint: 'Certify the calibration for that time range, or add the collection that holds it to the inputs (-i).',
  },
  OUTPUT_EXISTS: {
    area: 'pipe',
    http: 409,
    summary: 'Outputs of a quantum already exist in the output run.',
    hint: 'Pass --skip-existing to keep them, --clobber-outputs (with --extend-run) to replace partial outputs, or write to a new run.',
  },
  QUANTUM_UNDECLARED_DATASET: {
    area: 'pipe',
    http: 500,
    summary: "A task read or wrote a dataset that is not one of its quantum's inputs or outputs.",
    hint: 'Declare the dataset as a connection of the task; a quantum may only touch what its connections declare.',
  },
  QUANTUM_FAILED: {
    area: 'pipe',
    http: 500,
    summary:
      'A quantum failed: its task threw, its process exited or was killed, or it exceeded its memory or time limit.',
    hint: 'See `pipetask report` for the message and the log; fix the cause and rerun the same command with --skip-existing (or --extend-run).',
  },
  // ---- tasks: science algorithms ----------------------------------------------------------------------------------
  ASTROMETRY_FAILED: {
    area: 'tasks',
    http: 422,
    summary:
      'Astrometric calibration failed: too few detected or reference stars, no pattern match between them, or too few matches left for the WCS fit.',
    hint: 'The message gives the counts; check that the reference catalog covers the detector and the band, that detection found stars, and that the initial WCS is within the matcher limits (maxOffsetArcsec, maxScaleError), or lower the SIP order.',
  },
  ISR_CALIBRATION_MISMATCH: {
    area: 'tasks',
    http: 422,
    summary:
      'A calibration does not fit the raw it should correct: a bias or flat of another size than the trimmed detector, or a defects list that is not boxes inside it.',
    hint: 'The message gives both sizes; certify calibrations made for this camera and detector (for the simulator: `butler write-curated-calibrations` from the same survey), or turn the step off (doBias/doFlat/doDefect).',
  },
  PSF_FAILED: {
    area: 'tasks',
    http: 422,
    summary:
      'PSF determination failed: too few bright, isolated, unsaturated stars passed the selection, or too few were left after outlier rejection to fit the PSF model.',
    hint: 'The message gives how many stars were found at each step; check the detection (a detector with no stars cannot be characterised), lower psf.minSignalToNoise or psf.minStars, or lower the polynomial order.',
  },
  PHOTOMETRY_FAILED: {
    area: 'tasks',
    http: 422,
    summary:
      'Photometric calibration failed: too few matched reference stars with a positive flux and a finite magnitude.',
    hint: 'The message gives the counts; check the astrometric match and that the reference catalog has magnitudes in the band.',
  },
  // ---- qa: quality against the simulator's truth --------------------------------------------------------------
  QA_INPUT_MISSING: {
    area: 'qa',
    http: 404,
    summary:
      'The QA found no outputs of a dataset type it needs in the collections, or an output table lacks a column it reads.',
    hint: 'Run the pipeline steps that write the named dataset type into those collections (or fix --collections / --where); `butler query-datasets REPO TYPE --collections C` lists what is there. docs/qa.md lists the columns read.',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof codes;
export const ERROR_CODES: Readonly<Record<ErrorCode, ErrorCodeInfo>> = codes;

export class MeridianError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'MeridianError';
    this.code = code;
    this.details = details;
  }

  get hint(): string {
    return ERROR_CODES[this.code].hint;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  toJSON(): { code: ErrorCode; message: string; hint: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, hint: this.hint, details: { ...this.details } };
  }
}

export function meridianError(
  code: ErrorCode,
  message: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): MeridianError {
  return new MeridianError(code, message, details, cause === undefined ? undefined : { cause });
}

/** True for any error carrying a Meridian code (works across package copies). */
export function isMeridianError(err: unknown, code?: ErrorCode): err is MeridianError {
  if (typeof err !== 'object' || err === null) return false;
  const c = (err as { code?: unknown }).code;
  if (typeof c !== 'string' || !(c in codes)) return false;
  return code === undefined || c === code;
}
