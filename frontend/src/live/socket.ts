// A run's live event stream: ws/runs/<id>/?after=<last seq>, reconnecting with backoff so that
// nothing is missed (the server replays everything after the cursor on connect).

import { runSocketUrl } from "../api/runEvents";
import type { RunEvent } from "./reducer";

export interface StreamOptions {
  runId: string;
  /** The last seq applied; read on every (re)connect. */
  cursor: () => number;
  onEvent: (event: RunEvent) => void;
  onState?: (state: "connecting" | "open" | "closed") => void;
  /** Stop reconnecting (e.g. the run finished). */
  done?: () => boolean;
}

/** Opens the stream; returns a function that closes it for good. */
export function openRunStream(options: StreamOptions): () => void {
  let socket: WebSocket | null = null;
  let stopped = false;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const connect = () => {
    if (stopped) return;
    options.onState?.("connecting");
    socket = new WebSocket(runSocketUrl(window.location, options.runId, options.cursor()));
    socket.onopen = () => {
      attempt = 0;
      options.onState?.("open");
    };
    socket.onmessage = (message) => {
      try {
        options.onEvent(JSON.parse(String(message.data)) as RunEvent);
      } catch {
        // not an event: ignore
      }
    };
    socket.onclose = (close) => {
      options.onState?.("closed");
      if (stopped || close.code === 4403 || options.done?.()) return;
      attempt += 1;
      timer = setTimeout(connect, Math.min(10_000, 500 * 2 ** Math.min(attempt, 5)));
    };
  };
  connect();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    socket?.close();
  };
}
