/**
 * Keeping database credentials out of messages: a password may sit in the URL's user info
 * (postgres://user:secret@host/db) or in its query (?password=secret, sslpassword=...).
 */

/** Query parameters whose values are secrets. */
const SECRET_PARAMS = /^(password|sslpassword|sslkey|passfile|secret|token)$/i;

/** postgres://user:secret@host/db?password=x -> postgres://user:***@host/db?password=*** */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '<unparseable DATABASE_URL>';
  }
  if (u.password) u.password = '***';
  for (const key of [...u.searchParams.keys()]) if (SECRET_PARAMS.test(key)) u.searchParams.set(key, '***');
  return u.toString().replace(/%2A%2A%2A/g, '***');
}

/** Any database URL in a free text, redacted; and any `password=...` pair (libpq keyword strings). */
export function redactSecrets(text: string): string {
  return text
    .replace(/\bpostgres(?:ql)?:\/\/[^\s'"<>]*[^\s'"<>:,.;)]/gi, (m) => redactUrl(m))
    .replace(/\b(password|sslpassword)=([^\s&'"]+)/gi, (_m, k: string) => `${k}=***`);
}
