/**
 * RLM (Reprise License Manager) adapter: the pure rlmstat parser and the command line that feeds it.
 * A spawning source (type 'rlm') runs `rlmutil rlmstat -a -c <address>`; a file source (type 'rlm-file')
 * re-reads a captured output. Both hand the text to parseRlmstat().
 */
export { parseRlmstat, parseRlmExpiry, MAX_WARNINGS } from './parse';
export type { RlmParseOptions } from './parse';

/** Arguments for rlmutil: `rlmutil rlmstat -a -c 5053@host`, or `rlmstat -a -i isv -c ...` to ask one ISV only. */
export function rlmstatArgs(address: string, isv?: string): string[] {
  return ['rlmstat', '-a', ...(isv ? ['-i', isv] : []), '-c', address];
}
