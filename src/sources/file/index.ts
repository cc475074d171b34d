/** File sources (flexlm-file, rlm-file): a captured status output re-read at each fetch. */
export { FileSource, readFileCapped } from './file.source';
export type { CappedRead, FileSourceOptions } from './file.source';
