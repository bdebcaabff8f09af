import { Link, useSearchParams } from "react-router-dom";
import { filtersFromSearch, runsQuery } from "../api/query";
import { runs, workflows } from "../api/resources";
import { RUN_STATUSES } from "../api/types";
import { formatDateTime } from "../components/format";
import { LoadError } from "../components/Notice";
import { Pagination } from "../components/Pagination";
import { StatusBadge } from "../components/StatusBadge";
import { useLoad } from "../components/useLoad";

const PAGE_SIZE = 25;

export default function RunsPage() {
  const [search, setSearch] = useSearchParams();
  const filters = filtersFromSearch(search);
  const query = runsQuery(filters, { limit: PAGE_SIZE, offset: (filters.page - 1) * PAGE_SIZE });
  const list = useLoad(() => runs.list(query), [query]);
  const flows = useLoad(() => workflows.list(), []);

  function set(key: string, value: string) {
    const next = new URLSearchParams(search);
    if (value) next.set(key, value);
    else next.delete(key);
    if (key !== "page") next.delete("page");
    setSearch(next);
  }

  return (
    <section className="page">
      <header className="page-header">
        <h1>Runs</h1>
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </header>
      <form className="filters" aria-label="Filter runs" onSubmit={(event) => event.preventDefault()}>
        <label>
          Workflow
          <select value={filters.workflow} onChange={(event) => set("workflow", event.target.value)}>
            <option value="">All workflows</option>
            {(flows.data?.results ?? []).map((flow) => (
              <option key={flow.id} value={flow.id}>
                {flow.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select value={filters.status} onChange={(event) => set("status", event.target.value)}>
            <option value="">Any status</option>
            {RUN_STATUSES.map((status) => (
              <option key={status} value={status}>
                {status}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="date" value={filters.from} onChange={(event) => set("from", event.target.value)} />
        </label>
        <label>
          To
          <input type="date" value={filters.to} onChange={(event) => set("to", event.target.value)} />
        </label>
      </form>
      <LoadError error={list.error} />
      <table className="table" aria-label="Runs">
        <thead>
          <tr>
            <th>Run</th>
            <th>Workflow</th>
            <th>Status</th>
            <th>Trigger</th>
            <th>Created</th>
            <th>Finished</th>
          </tr>
        </thead>
        <tbody>
          {(list.data?.results ?? []).map((run) => (
            <tr key={run.id} data-testid={`run-${run.id}`}>
              <td>
                <Link to={`/runs/${run.id}`} className="mono">
                  {run.id.slice(0, 8)}
                </Link>
              </td>
              <td>
                {run.workflow.name} <span className="muted">v{run.version}</span>
              </td>
              <td>
                <StatusBadge status={run.status} />
              </td>
              <td>{run.triggered_by || run.trigger_node_id || "—"}</td>
              <td>{formatDateTime(run.created_at)}</td>
              <td>{formatDateTime(run.finished_at)}</td>
            </tr>
          ))}
          {list.data && list.data.results.length === 0 && (
            <tr>
              <td colSpan={6} className="empty">
                No runs match these filters.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {list.data && (
        <Pagination
          page={filters.page}
          pageSize={PAGE_SIZE}
          count={list.data.count}
          onPage={(page) => set("page", String(page))}
        />
      )}
    </section>
  );
}
