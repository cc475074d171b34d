/** FlexNet (FLEXlm) lmstat parsers: `lmstat -a` -> Snapshot, `lmstat -i` -> license-file features. */
export { parseLmstat, StartTimeInferrer, MAX_STORED_WARNINGS } from './parse';
export { parseLmstatI, parseFlexlmDate, mergeExpiry } from './parse-i';
export type { FlexlmDate, LmstatIFeature, LmstatIResult } from './parse-i';
