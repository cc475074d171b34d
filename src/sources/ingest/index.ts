/** Push mode (isolated networks): pushed lmstat / rlmstat / LicenseSummary text, and the passive source of type "ingest". */
export { detectFormat, parseIngest, INGEST_FORMATS, MAX_INGEST_BYTES } from './parse';
export type { IngestFormat, IngestParseOptions, IngestParseResult } from './parse';
export { IngestSource } from './ingest.source';
