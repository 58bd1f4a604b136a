import { useEffect, useRef } from 'react';

/**
 * Names the document after the screen and moves focus to the screen's heading, so a screen reader
 * says where a navigation led and the keyboard starts from the top of the new screen.
 */
export function useScreenTitle<T extends HTMLElement>(title: string) {
  const heading = useRef<T>(null);
  useEffect(() => {
    document.title = `${title} · Parley`;
    heading.current?.focus();
  }, [title]);
  return heading;
}
