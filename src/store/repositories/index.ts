export * from './users';
export * from './tokens';
export * from './counters';
export * from './replicas';
export * from './alert-rules';
export * from './settings';
export * from './history';
export * from './usage';
