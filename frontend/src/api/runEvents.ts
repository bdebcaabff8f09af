// Live updates of a run: the websocket ``ws/runs/<id>/?after=<seq>`` sends every event after the
// cursor, then new ones as they happen. The page reloads the run's detail when an event arrives.

import type { RunEvent } from "./types";

export function runSocketUrl(location: Pick<Location, "protocol" | "host">, runId: string, after: number): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws/runs/${runId}/?after=${after}`;
}

/** The highest sequence number seen so far (the cursor to reconnect from). */
export function advanceCursor(cursor: number, event: Pick<RunEvent, "seq">): number {
  return Number.isFinite(event.seq) && event.seq > cursor ? event.seq : cursor;
}

/** Follow a run's events; returns a function that stops following. Reconnects from the cursor. */
export function followRun(runId: string, onEvent: (event: RunEvent) => void): () => void {
  let cursor = 0;
  let socket: WebSocket | undefined;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function connect() {
    socket = new WebSocket(runSocketUrl(window.location, runId, cursor));
    socket.onmessage = (message) => {
      const event = JSON.parse(String(message.data)) as RunEvent;
      cursor = advanceCursor(cursor, event);
      onEvent(event);
    };
    socket.onclose = () => {
      if (!stopped) timer = setTimeout(connect, 2000);
    };
  }

  connect();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    socket?.close();
  };
}
