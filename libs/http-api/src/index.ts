export { createHttpApp, clientAddressOf, type HttpAppDeps } from './http-app';
export { toHttpError, HTTP_STATUS, type ErrorBody } from './error-mapping';
export { retryAfterHeader } from './error-mapping';
export { createAnalyticsApp, type AnalyticsAppDeps } from './analytics-app';
export { GATEWAY_OPENAPI } from './openapi/gateway-openapi';
export { ANALYTICS_OPENAPI } from './openapi/analytics-openapi';
export type { JsonObject } from './openapi/document-parts';
export { serveWebApp, contentSecurityPolicy } from './web-app';
export { SIGN_IN_COOKIE, type ProviderRoutesDeps } from './provider-routes';
