/** FlexNet (FLEXlm) parsers: `lmstat -a` -> Snapshot, `lmstat -i` -> license-file features, debug logs -> events. */
export { parseLmstat, StartTimeInferrer, MAX_STORED_WARNINGS } from './parse';
export { parseLmstatI, parseFlexlmDate, mergeExpiry } from './parse-i';
export type { FlexlmDate, LmstatIFeature, LmstatIResult } from './parse-i';
export { parseDebugLog, eventKey, hashKey, DEBUG_EVENT_TYPES } from './debuglog';
export type {
  DebugLogEvent,
  DebugLogResult,
  DebugLogSummary,
  DebugLogOptions,
  DebugEventType,
  DebugReasonKind,
  UnparsedLine,
  UnparsedWhy,
} from './debuglog';
