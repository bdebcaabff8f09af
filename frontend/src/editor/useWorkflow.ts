// Loading the workflow, its newest version, the node-type catalogue and connections; saving
// versions with base_version; watching for versions saved by someone else meanwhile.

import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError } from "../api/client";
import type { NodeTypeInfo, WorkflowDocument } from "../graph/types";
import { editorApi, type ConnectionInfo, type Version, type VersionSummary, type WorkflowInfo } from "./api";

export interface Loaded {
  workflow: WorkflowInfo;
  nodeTypes: NodeTypeInfo[];
  connections: ConnectionInfo[];
  version: Version | null;
}

export type SaveResult =
  | { kind: "saved"; version: Version }
  | { kind: "invalid"; body: unknown }
  | { kind: "stale"; latest: VersionSummary };

const EMPTY: WorkflowDocument = { schema: 1, nodes: [], edges: [] };

export function useWorkflow(workflowId: string) {
  const [loaded, setLoaded] = useState<Loaded>();
  const [error, setError] = useState<string>();
  const [baseVersion, setBaseVersion] = useState<number | null>(null);
  const [newer, setNewer] = useState<VersionSummary | null>(null);
  const baseRef = useRef<number | null>(null);
  baseRef.current = baseVersion;

  useEffect(() => {
    let current = true;
    (async () => {
      const [workflow, nodeTypes, connections] = await Promise.all([
        editorApi.workflow(workflowId),
        editorApi.nodeTypes(),
        editorApi.connections().catch(() => [] as ConnectionInfo[]),
      ]);
      const latest = workflow.latest_version?.number;
      const version = latest ? await editorApi.version(workflowId, latest) : null;
      if (!current) return;
      setBaseVersion(version?.number ?? null);
      setLoaded({ workflow, nodeTypes, connections, version });
    })().catch((e: Error) => current && setError(e.message));
    return () => {
      current = false;
    };
  }, [workflowId]);

  // Someone else saving: checked every 15 s and when the tab becomes visible again.
  useEffect(() => {
    if (!loaded) return;
    const check = async () => {
      try {
        const versions = await editorApi.versions(workflowId);
        const top = versions[0];
        if (top && top.number > (baseRef.current ?? 0)) setNewer(top);
      } catch {
        // offline for a moment: the save itself still refuses a stale base
      }
    };
    const timer = setInterval(check, 15_000);
    const visible = () => document.visibilityState === "visible" && void check();
    document.addEventListener("visibilitychange", visible);
    return () => {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", visible);
    };
  }, [loaded, workflowId]);

  const save = useCallback(
    async (document: WorkflowDocument, message: string, base: number | null): Promise<SaveResult> => {
      try {
        const version = await editorApi.saveVersion(workflowId, { document, message, base_version: base });
        setBaseVersion(version.number);
        setNewer(null);
        return { kind: "saved", version };
      } catch (e) {
        if (e instanceof ApiError && e.status === 409) {
          const latest = (e.body as { latest_version?: VersionSummary }).latest_version;
          if (latest) {
            setNewer(latest);
            return { kind: "stale", latest };
          }
        }
        if (e instanceof ApiError && e.status === 400) return { kind: "invalid", body: e.body };
        throw e;
      }
    },
    [workflowId],
  );

  /** Loads a version as the new base (after a reload or a restore). */
  const adopt = useCallback(
    async (number: number): Promise<Version> => {
      const version = await editorApi.version(workflowId, number);
      setBaseVersion(version.number);
      setNewer((n) => (n && n.number <= version.number ? null : n));
      return version;
    },
    [workflowId],
  );

  return { loaded, error, baseVersion, setBase: setBaseVersion, newer, setNewer, save, adopt, empty: EMPTY };
}
