"use client";
import { useEffect, useRef, useState } from "react";

export type StreamState = "connecting" | "live" | "reconnecting";

/**
 * Listens to the dashboard's /api/events SSE relay. The browser's EventSource reconnects by
 * itself; callers refetch in `onOpen` so nothing sent during a gap is missed.
 */
export function useEvents<T>(path: string | null, onEvent: (data: T) => void, onOpen?: () => void): StreamState {
  const [state, setState] = useState<StreamState>("connecting");
  const handlers = useRef({ onEvent, onOpen });
  handlers.current = { onEvent, onOpen };

  useEffect(() => {
    if (!path) return;
    const source = new EventSource(path);
    // Refetch on every open, the first included: anything sent before the stream was up is not lost.
    source.onopen = () => {
      setState("live");
      handlers.current.onOpen?.();
    };
    source.onerror = () => setState("reconnecting");
    source.onmessage = (message) => {
      try {
        handlers.current.onEvent(JSON.parse(message.data) as T);
      } catch {
        // a malformed event is skipped; the next refetch repairs the view
      }
    };
    return () => source.close();
  }, [path]);
  return state;
}
