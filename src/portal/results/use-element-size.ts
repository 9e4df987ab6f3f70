import { type RefObject, useEffect, useState } from 'react';

/** Whole CSS pixels, at least 1 each once the element has been measured (0 × 0 before the first measurement). */
export interface ElementSize {
  readonly width: number;
  readonly height: number;
}

/**
 * The content size of the element behind `ref`, kept current by a ResizeObserver (the plots redraw their
 * canvases at this size). The element must be mounted by the time the effect runs.
 */
export function useElementSize(ref: RefObject<HTMLElement | null>): ElementSize {
  const [size, setSize] = useState<ElementSize>({ width: 0, height: 0 });
  useEffect(() => {
    const element = ref.current;
    if (element === null) return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry === undefined) return;
      const { width, height } = entry.contentRect;
      setSize({ width: Math.max(Math.floor(width), 1), height: Math.max(Math.floor(height), 1) });
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref]);
  return size;
}
