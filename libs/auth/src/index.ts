export { hashPassword, checkPassword } from './passwords';
export { TokenService, bearerToken, type IssuedToken } from './tokens';
