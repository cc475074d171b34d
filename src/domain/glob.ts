/** Feature-name patterns: exact names or globs with * and ? (case-sensitive, as license servers are). */
export type NameMatcher = (name: string) => boolean;

export function isGlob(p: string): boolean {
  return p.includes('*') || p.includes('?');
}

export function globToRegExp(glob: string): RegExp {
  let re = '^';
  for (const ch of glob) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(re + '$');
}

/** A matcher for a list of names/globs; undefined or empty list matches everything. */
export function nameMatcher(patterns?: readonly string[] | null): NameMatcher {
  if (!patterns || patterns.length === 0) return () => true;
  const exact = new Set(patterns.filter((p) => !isGlob(p)));
  const globs = patterns.filter(isGlob).map(globToRegExp);
  if (globs.length === 0) return (n) => exact.has(n);
  return (n) => exact.has(n) || globs.some((g) => g.test(n));
}
