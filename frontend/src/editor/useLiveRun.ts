// The run shown on the canvas: its event stream folded by the reducer, resyncs over the events
// API when a gap shows or the socket is down, and the run's detail (node inputs and outputs).

import { useCallback, useEffect, useRef, useState } from "react";
import { foldChildren } from "../live/children";
import { applyEvents, FINISHED, initLive, isFinished, needsResync, type LiveRun } from "../live/reducer";
import { openRunStream } from "../live/socket";
import { editorApi, type RunInfo } from "./api";

export function useLiveRun() {
  const [live, setLive] = useState<LiveRun | null>(null);
  const [detail, setDetail] = useState<RunInfo | null>(null);
  const [children, setChildren] = useState<RunInfo[]>([]);
  const [socket, setSocket] = useState<"connecting" | "open" | "closed">("closed");
  const liveRef = useRef<LiveRun | null>(null);
  liveRef.current = live;
  const runId = live?.runId;

  const start = useCallback((id: string, nodeIds: string[]) => {
    setDetail(null);
    setChildren([]);
    setLive(initLive(id, nodeIds));
  }, []);

  const clear = useCallback(() => {
    setLive(null);
    setDetail(null);
    setChildren([]);
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

  // Items handed to child runs: follow the children (up to 50) until they have all finished.
  const childIds = (detail?.children ?? []).slice(0, 50).map((c) => c.id).join(",");
  useEffect(() => {
    if (!childIds) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const runs = await Promise.all(childIds.split(",").map((id) => editorApi.run(id)));
        if (stopped) return;
        setChildren(runs);
        if (runs.every((r) => FINISHED.has(r.status))) return;
      } catch {
        // try again on the next tick
      }
      if (!stopped) timer = setTimeout(poll, 1500);
    };
    void poll();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [childIds]);

  const shown = live && children.length ? foldChildren(live, children) : live;
  const childrenRunning = children.filter((c) => !FINISHED.has(c.status)).length;
  return { live: shown, detail, children, childrenRunning, socket, start, clear, refreshDetail };
}
