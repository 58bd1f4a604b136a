export { hashPassword, checkPassword, PasswordHasher, DEFAULT_PASSWORD_HASHING } from './passwords';
export { ConcurrencyLimiter, type ConcurrencyLimit, type ConcurrencyLoad } from './concurrency-limiter';
export { TokenService, bearerToken, type IssuedToken } from './tokens';
