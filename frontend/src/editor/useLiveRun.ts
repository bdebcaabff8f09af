// The run shown on the canvas: its event stream folded by the reducer, resyncs over the events
// API when a gap shows or the socket is down, and the run's detail (node inputs and outputs).

import { useCallback, useEffect, useRef, useState } from "react";
import { applyEvents, initLive, isFinished, needsResync, type LiveRun } from "../live/reducer";
import { openRunStream } from "../live/socket";
import { editorApi, type RunInfo } from "./api";

export function useLiveRun() {
  const [live, setLive] = useState<LiveRun | null>(null);
  const [detail, setDetail] = useState<RunInfo | null>(null);
  const [socket, setSocket] = useState<"connecting" | "open" | "closed">("closed");
  const liveRef = useRef<LiveRun | null>(null);
  liveRef.current = live;
  const runId = live?.runId;

  const start = useCallback((id: string, nodeIds: string[]) => {
    setDetail(null);
    setLive(initLive(id, nodeIds));
  }, []);

  const clear = useCallback(() => {
    setLive(null);
    setDetail(null);
  }, []);

  const refreshDetail = useCallback(async () => {
    const id = liveRef.current?.runId;
    if (!id) return;
    const run = await editorApi.run(id);
    if (liveRef.current?.runId === id) setDetail(run);
  }, []);

  // The websocket, reconnecting with ?after=<last seq>.
  useEffect(() => {
    if (!runId) return;
    return openRunStream({
      runId,
      cursor: () => liveRef.current?.lastSeq ?? 0,
      onEvent: (event) => setLive((current) => (current ? applyEvents(current, [event]) : current)),
      onState: setSocket,
      done: () => (liveRef.current ? isFinished(liveRef.current) : true),
    });
  }, [runId]);

  // Missing events (a gap, or the socket down): read them from the events API.
  const gap = live ? needsResync(live) : false;
  const finished = live ? isFinished(live) : false;
  useEffect(() => {
    if (!runId || finished || (!gap && socket === "open")) return;
    let stopped = false;
    const resync = async () => {
      const current = liveRef.current;
      if (!current || stopped) return;
      try {
        const events = await editorApi.events(current.runId, current.lastSeq);
        if (!stopped) setLive((l) => (l && l.runId === current.runId ? applyEvents(l, events) : l));
      } catch {
        // the next tick tries again
      }
    };
    void resync();
    const timer = setInterval(resync, 1500);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [runId, gap, socket, finished]);

  // The detail (inputs, outputs, errors) once the run has finished.
  useEffect(() => {
    if (finished) void refreshDetail();
  }, [finished, refreshDetail]);

  return { live, detail, socket, start, clear, refreshDetail };
}
