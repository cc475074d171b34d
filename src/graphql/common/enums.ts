import { registerEnumType } from 'type-graphql';

export enum ServerStatusEnum {
  UP = 'UP',
  DOWN = 'DOWN',
  UNKNOWN = 'UNKNOWN',
}
registerEnumType(ServerStatusEnum, { name: 'ServerStatus' });

export enum SourceTypeEnum {
  FLEXLM = 'flexlm',
  RLM = 'rlm',
  FLEXLM_FILE = 'flexlm-file',
  RLM_FILE = 'rlm-file',
  JSON = 'json',
  SIMULATOR = 'simulator',
  INGEST = 'ingest',
}
registerEnumType(SourceTypeEnum, { name: 'SourceType', description: 'How licensegraph reads the server.' });

export enum RoleEnum {
  ADMIN = 'ADMIN',
  VIEWER = 'VIEWER',
  UPLOADER = 'UPLOADER',
}
registerEnumType(RoleEnum, {
  name: 'Role',
  description: 'ADMIN manages users and tokens; VIEWER reads; UPLOADER reads and pushes data.',
});
