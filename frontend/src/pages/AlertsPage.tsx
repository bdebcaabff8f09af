import { listOf } from "../api/client";
import { alerts } from "../api/resources";
import { formatDateTime } from "../components/format";
import { LoadError } from "../components/Notice";
import { StatusBadge } from "../components/StatusBadge";
import { useLoad } from "../components/useLoad";

export default function AlertsPage() {
  const list = useLoad(() => alerts.list(), []);
  const rules = useLoad(() => alerts.rules(), []);
  return (
    <section className="page">
      <header className="page-header">
        <h1>Alerts</h1>
      </header>
      <LoadError error={list.error} />
      <table className="table" aria-label="Alerts">
        <thead>
          <tr>
            <th>Status</th>
            <th>Rule</th>
            <th>Message</th>
            <th>Opened</th>
            <th>Last seen</th>
          </tr>
        </thead>
        <tbody>
          {(list.data ? listOf(list.data) : []).map((alert) => (
            <tr key={alert.id}>
              <td>
                <StatusBadge status={alert.status} />
              </td>
              <td>
                {alert.rule} <span className="muted small">{alert.kind}</span>
              </td>
              <td>{alert.message}</td>
              <td>{formatDateTime(alert.opened_at)}</td>
              <td>{formatDateTime(alert.last_seen_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Rules</h2>
      <LoadError error={rules.error} />
      <table className="table" aria-label="Alert rules">
        <thead>
          <tr>
            <th>Name</th>
            <th>Kind</th>
            <th>Delivered to</th>
            <th>Active</th>
          </tr>
        </thead>
        <tbody>
          {(rules.data ? listOf(rules.data) : []).map((rule) => (
            <tr key={rule.id}>
              <td>{rule.name}</td>
              <td>{rule.kind}</td>
              <td>{[...rule.emails, rule.webhook_url].filter(Boolean).join(", ")}</td>
              <td>{rule.active ? "yes" : "no"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
