/** Who is calling. Resolved once per request (HTTP) or connection (WebSocket) in the context factory. */
export type Role = 'ADMIN' | 'VIEWER' | 'UPLOADER';
export const ROLES: readonly Role[] = ['ADMIN', 'VIEWER', 'UPLOADER'];

export interface Principal {
  userId: string;
  username: string;
  role: Role;
  tokenId: string;
  /** Push scope of the token: the server ids it may push status to; null or absent = every ingest-type server. */
  servers?: string[] | null;
}

export interface User {
  id: string;
  username: string;
  role: Role;
  createdAt: Date;
  disabled: boolean;
}

export interface AccessTokenInfo {
  id: string;
  userId: string;
  username: string;
  name: string | null;
  /** Short public prefix shown in listings so a holder can recognise their token ("lg_AbCd1234"). */
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  /** Push scope: the server ids this token may push status to; null = every ingest-type server. */
  servers: string[] | null;
}
