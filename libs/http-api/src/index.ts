export { createHttpApp, clientAddressOf, type HttpAppDeps } from './http-app';
export { toHttpError, HTTP_STATUS, type ErrorBody } from './error-mapping';
export { retryAfterHeader } from './error-mapping';
export { createAnalyticsApp, type AnalyticsAppDeps } from './analytics-app';
export { serveWebApp, contentSecurityPolicy } from './web-app';
