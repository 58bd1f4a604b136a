// The app's few screens by path, with the History API (no router library for four paths). The
// gateway answers every such path with index.html, so a reload lands on the same screen.
import { useCallback, useEffect, useState } from 'react';

export type Path = '/' | '/sign-in' | '/sign-up' | '/auth/callback';

/** Where a provider sign-in lands (PUBLIC_BASE_URL/auth/callback#result=…). */
export const LANDING_PATH = '/auth/callback';

const known = (pathname: string): Path =>
  pathname === '/sign-in' || pathname === '/sign-up' || pathname === LANDING_PATH ? pathname : '/';

export interface Route {
  readonly path: Path;
  /** Shows another screen; `replace` when the current one should not stay in the history. */
  readonly navigate: (to: Path, options?: { replace?: boolean }) => void;
}

export function useRoute(): Route {
  const [path, setPath] = useState<Path>(() => known(window.location.pathname));
  useEffect(() => {
    const onPop = () => setPath(known(window.location.pathname));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((to: Path, options: { replace?: boolean } = {}) => {
    if (window.location.pathname !== to) {
      if (options.replace) window.history.replaceState(null, '', to);
      else window.history.pushState(null, '', to);
    }
    setPath(to);
  }, []);
  return { path, navigate };
}
