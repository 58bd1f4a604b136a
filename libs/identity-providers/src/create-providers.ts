import type { ProviderSettings } from '@parley/config';
import type { Logger } from '@parley/logging';
import { gitHubSignInProvider, yandexSignInProvider } from './oauth-provider';
import { OidcSignInProvider } from './oidc-provider';
import type { SignInProvider } from './sign-in-provider';

/** One SignInProvider per configured provider, in the settings' order. */
export function createSignInProviders(
  settings: readonly ProviderSettings[],
  logger?: Logger,
): SignInProvider[] {
  return settings.map((provider) => {
    switch (provider.kind) {
      case 'oidc':
        return new OidcSignInProvider(provider, logger);
      case 'github':
        return gitHubSignInProvider(provider, logger);
      case 'yandex':
        return yandexSignInProvider(provider, logger);
      default: {
        const never: never = provider;
        throw new Error(`unknown provider kind ${JSON.stringify(never)}`);
      }
    }
  });
}
