export { loadConfig, type Config } from './config';
export { ConfigError } from './config-error';
