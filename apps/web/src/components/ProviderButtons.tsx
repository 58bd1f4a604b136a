import { useEffect, useState } from 'react';
import { listProviders, providerStartPath, type SignInProvider } from '../api';

/**
 * "Continue with …" for each provider the server has configured (none: nothing shows). Each is a
 * plain link: the browser goes to the server, which sends it on to the provider.
 */
export function ProviderButtons() {
  const [providers, setProviders] = useState<readonly SignInProvider[]>([]);
  useEffect(() => {
    let live = true;
    void listProviders().then((list) => {
      if (live) setProviders(list);
    });
    return () => {
      live = false;
    };
  }, []);
  if (providers.length === 0) return null;
  return (
    <div className="providers">
      <p className="providers-or">or</p>
      <ul className="provider-list">
        {providers.map((provider) => (
          <li key={provider.id}>
            <a className="provider-button" href={providerStartPath(provider.id)}>
              Continue with {provider.name}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}
