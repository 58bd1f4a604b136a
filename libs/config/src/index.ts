export {
  loadConfig,
  JWT_SECRET_MIN_LENGTH,
  type Config,
  type KafkaSecurity,
  type TokenServiceConfig,
} from './config';
export { ConfigError } from './config-error';
export type { TrustProxy } from './config';
export {
  parseSignInProviders,
  GOOGLE_ISSUER,
  type ProviderSettings,
  type OidcProviderSettings,
  type GitHubProviderSettings,
  type YandexProviderSettings,
} from './sign-in-providers';
