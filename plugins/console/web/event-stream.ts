/**
 * Follows a Server-Sent Events route of the owner API. EventSource cannot send the Authorization header, so
 * this reads the stream with fetch and parses the frames itself; it reconnects after the server's `retry`
 * delay whenever the stream ends (the node closes streams after a while) and calls `onOpen` each time, so the
 * caller can catch up on what it may have missed in between.
 */
import { authHeaders } from './api.js';

export interface StreamHandlers {
  onEvent(name: string, data: unknown): void;
  onOpen?(): void;
  onState?(connected: boolean): void;
}

export function followEvents(path: string, handlers: StreamHandlers): () => void {
  const abort = new AbortController();
  let retryMs = 1000;

  const run = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        const res = await fetch(path, {
          headers: { accept: 'text/event-stream', ...authHeaders() },
          signal: abort.signal,
        });
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        handlers.onState?.(true);
        handlers.onOpen?.();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const parsed = parseFrame(frame);
            if (parsed.retry !== undefined) retryMs = parsed.retry;
            if (parsed.event && parsed.data !== undefined) {
              handlers.onEvent(parsed.event, JSON.parse(parsed.data));
            }
          }
        }
      } catch {
        // Reconnect below, unless we were stopped.
      }
      if (abort.signal.aborted) return;
      handlers.onState?.(false);
      await new Promise((r) => setTimeout(r, retryMs));
    }
  };
  void run();
  return () => abort.abort();
}

function parseFrame(frame: string): { event?: string; data?: string; retry?: number } {
  const out: { event?: string; data?: string; retry?: number } = {};
  for (const line of frame.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') out.event = value;
    else if (field === 'data') out.data = out.data === undefined ? value : `${out.data}\n${value}`;
    else if (field === 'retry' && /^[0-9]+$/.test(value)) out.retry = Number(value);
  }
  return out;
}
