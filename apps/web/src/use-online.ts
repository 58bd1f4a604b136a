import { useEffect, useState } from 'react';

/**
 * Whether the browser believes it is online (`navigator.onLine` and its events). Only a hint: it
 * says nothing of whether Parley answers. The live connection will refine it once the chat uses it.
 */
export function useOnline(): boolean {
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);
  return online;
}
