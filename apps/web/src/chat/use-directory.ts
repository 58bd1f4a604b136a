import { useCallback, useEffect, useState } from 'react';
import type { UserProfile } from '@parley/client';
import { readDirectory, remember, writeDirectory, type Directory } from './directory';

/** The known users (kept in localStorage, shared by the tabs), and a way to add one. */
export function useDirectory(): readonly [Directory, (profile: UserProfile) => void] {
  const [directory, setDirectory] = useState<Directory>(() => readDirectory(window.localStorage));
  useEffect(() => {
    const onStorage = () => setDirectory(readDirectory(window.localStorage));
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);
  const add = useCallback((profile: UserProfile) => {
    setDirectory((current) => {
      const next = remember(current, profile);
      if (next !== current) writeDirectory(window.localStorage, next);
      return next;
    });
  }, []);
  return [directory, add] as const;
}
