// Building query strings for the list endpoints: empty filters are left out, dates become
// the ISO date-times the API expects, pages become limit/offset.

export type QueryValue = string | number | boolean | null | undefined | string[];

/** ``?a=1&b=x`` from the non-empty values (lists are comma-joined); "" when nothing is set. */
export function toQuery(params: Record<string, QueryValue>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) {
      if (value.length) search.set(key, value.join(","));
      continue;
    }
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export interface RunFilters {
  workflow?: string;
  status?: string;
  /** First day included, YYYY-MM-DD (UTC). */
  from?: string;
  /** Last day included, YYYY-MM-DD (UTC). */
  to?: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The day after ``day`` (YYYY-MM-DD), computed in UTC so no time zone shifts it. */
export function nextDay(day: string): string {
  const [y, m, d] = day.split("-").map(Number);
  const next = new Date(Date.UTC(y, m - 1, d + 1));
  return next.toISOString().slice(0, 10);
}

/** The runs API's parameters for the filters: an inclusive day range becomes [from 00:00, to+1 00:00). */
export function runsQuery(filters: RunFilters, page: { limit: number; offset: number }): string {
  return toQuery({
    workflow: filters.workflow,
    status: filters.status,
    created_after: filters.from && DAY.test(filters.from) ? `${filters.from}T00:00:00Z` : undefined,
    created_before: filters.to && DAY.test(filters.to) ? `${nextDay(filters.to)}T00:00:00Z` : undefined,
    limit: page.limit,
    offset: page.offset || undefined,
  });
}

/** Filters kept in the page's URL (so a filtered list can be linked and survives a reload). */
export function filtersFromSearch(search: URLSearchParams): RunFilters & { page: number } {
  const page = Number.parseInt(search.get("page") ?? "1", 10);
  return {
    workflow: search.get("workflow") ?? "",
    status: search.get("status") ?? "",
    from: search.get("from") ?? "",
    to: search.get("to") ?? "",
    page: Number.isFinite(page) && page > 0 ? page : 1,
  };
}
