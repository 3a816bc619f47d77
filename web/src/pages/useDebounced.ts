import { useEffect, useState } from 'preact/hooks';

/**
 * `value`, but only once it has stayed the same for `delay_ms`: a burst of stream events
 * (a trip raises several at once) causes one refetch, not one per event.
 */
export function useDebounced<T>(value: T, delay_ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delay_ms);
    return () => clearTimeout(timer);
  }, [value, delay_ms]);
  return settled;
}
