import { useEffect, useRef, useState } from 'react';
import { ApiError, exchangeSignIn, type SignedIn } from '../api';
import { useScreenTitle } from '../components/use-screen-title';
import { providerSignInError } from '../form-errors';
import { AccountCard } from '../components/AccountCard';

export interface ProviderLandingProps {
  readonly onSignedIn: (session: SignedIn) => void;
  readonly onSignIn: () => void;
}

/** The one-time result the server put in this page's fragment (`#result=…`), once. */
function takeResult(): string | undefined {
  const result = new URLSearchParams(window.location.hash.slice(1)).get('result') ?? undefined;
  // Out of the address bar and the history at once: it is worth nothing twice anyway.
  window.history.replaceState(null, '', window.location.pathname);
  return result;
}

/**
 * Where a provider sign-in lands: exchanges the one-time result for the session (the token never
 * travels in a URL), then the app; or says why the sign-in was refused.
 */
export function ProviderLanding({ onSignedIn, onSignIn }: ProviderLandingProps) {
  useScreenTitle('Signing in');
  const [error, setError] = useState<string>();
  const started = useRef(false);

  useEffect(() => {
    // Once only (React's development mode runs effects twice; the result works once).
    if (started.current) return;
    started.current = true;
    const result = takeResult();
    if (!result) {
      setError('This sign-in has expired or was finished already. Sign in again.');
      return;
    }
    exchangeSignIn(result).then(onSignedIn, (failure: unknown) => {
      if (!(failure instanceof ApiError)) throw failure;
      setError(providerSignInError(failure));
    });
  }, [onSignedIn]);

  return (
    <AccountCard title={error ? 'Not signed in' : 'Signing in…'}>
      {error && (
        <>
          <p className="notice" role="alert">
            {error}
          </p>
          <p className="switch">
            <a
              href="/sign-in"
              onClick={(e) => {
                e.preventDefault();
                onSignIn();
              }}
            >
              Back to sign in
            </a>
          </p>
        </>
      )}
    </AccountCard>
  );
}
