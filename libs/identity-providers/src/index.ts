export type { FlowSecrets, ProviderProfile, SignInProvider } from './sign-in-provider';
export { createSignInProviders } from './create-providers';
export { OidcSignInProvider, checkCallbackIssuer } from './oidc-provider';
export { OAuthSignInProvider, gitHubSignInProvider, yandexSignInProvider } from './oauth-provider';
export { oidcProfile, githubProfile, yandexProfile } from './profiles';
export { providerFailure } from './provider-errors';
