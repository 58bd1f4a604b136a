import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { ApiError, checkToken, type SignedIn } from './api';
import { forgetLegacyDirectory } from './chat/directory';
import { OfflineBanner } from './components/OfflineBanner';
import { LANDING_PATH, useRoute } from './router';
import { ProviderLanding } from './screens/ProviderLanding';
import { SignIn } from './screens/SignIn';
import { SignUp } from './screens/SignUp';
import { clearSession, readSession, writeSession, type Session } from './session-store';

// The chat screens (and the SDK) load once signed in: the account screens start without them.
const AppShell = lazy(() => import('./screens/AppShell').then((module) => ({ default: module.AppShell })));

const load = () => readSession(window.localStorage, Date.now());

/** Tokens last 24 hours and are not refreshed (PROTOCOL §1): past that, the user signs in again. */
const SESSION_ENDED = 'Your session has ended. Sign in again.';

export function App() {
  const [session, setSession] = useState<Session | null>(load);
  const [notice, setNotice] = useState<string>();
  const { path, navigate } = useRoute();

  const signedIn = useCallback(
    (answer: SignedIn, displayName?: string) => {
      const next: Session = { ...answer, ...(displayName ? { displayName } : {}) };
      writeSession(window.localStorage, next);
      setNotice(undefined);
      setSession(next);
      navigate('/', { replace: true });
    },
    [navigate],
  );

  const signOut = useCallback(
    (why?: string) => {
      clearSession(window.localStorage);
      // Signed out, the browser keeps nothing of the user's in localStorage (what older versions kept too).
      forgetLegacyDirectory(window.localStorage);
      setSession(null);
      setNotice(why);
      navigate('/sign-in');
    },
    [navigate],
  );

  // Another tab signed in or out: follow it.
  useEffect(() => {
    const onStorage = () => setSession(load());
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  // A kept token may no longer work (the account was disabled, the secret changed); and it expires.
  useEffect(() => {
    if (!session) return;
    let live = true;
    checkToken(session.token).catch((error: unknown) => {
      if (live && error instanceof ApiError && error.status === 401) signOut(SESSION_ENDED);
    });
    const expiresIn = Date.parse(session.expiresAt) - Date.now();
    // setTimeout holds at most 2^31-1 ms (about 24.8 days); a token lasts a day.
    const timer = window.setTimeout(() => signOut(SESSION_ENDED), Math.min(expiresIn, 2 ** 31 - 1));
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [session, signOut]);

  // Each screen at its own address: signed out, only the account screens; signed in, only the app;
  // a provider sign-in's landing either way (it may link a provider to the signed-in account).
  const screenPath =
    path === LANDING_PATH ? LANDING_PATH : session ? '/' : path === '/sign-up' ? '/sign-up' : '/sign-in';
  useEffect(() => {
    if (path !== screenPath) navigate(screenPath, { replace: true });
  }, [path, screenPath, navigate]);

  return (
    <>
      {/* Signed in, the shell shows the banner with the live connection's state. */}
      {!session && <OfflineBanner />}
      {screenPath === LANDING_PATH ? (
        <ProviderLanding onSignedIn={signedIn} onSignIn={() => navigate('/sign-in')} />
      ) : session ? (
        <Suspense fallback={<p className="empty">Loading…</p>}>
          <AppShell session={session} onSignOut={() => signOut()} />
        </Suspense>
      ) : screenPath === '/sign-up' ? (
        <SignUp onSignedUp={signedIn} onSignIn={() => navigate('/sign-in')} />
      ) : (
        <SignIn onSignedIn={signedIn} onSignUp={() => navigate('/sign-up')} notice={notice} />
      )}
    </>
  );
}
