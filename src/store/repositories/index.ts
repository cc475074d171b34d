export * from './users';
export * from './tokens';
export * from './counters';
export * from './replicas';
export * from './alert-rules';
