export { loadConfig, type Config } from './config';
export { ConfigError } from './config-error';
export type { TrustProxy } from './config';
