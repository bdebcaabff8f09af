import { ApiError } from "../api/client";
import { Notice } from "./Notice";

/** A 404 from an endpoint means this install does not offer the feature (yet): say so plainly. */
export function isMissingEndpoint(error: Error | undefined): boolean {
  return error instanceof ApiError && error.status === 404;
}

export function Unavailable({ what }: { what: string }) {
  return <Notice kind="info">{what} are not available on this server yet.</Notice>;
}
