import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { isZeroDecimal } from "../api/money";
import { reports } from "../api/resources";
import type { Reconciliation } from "../api/types";
import { Notice } from "../components/Notice";
import { isMissingEndpoint, Unavailable } from "../components/Unavailable";

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export default function ReconciliationPage() {
  const today = new Date();
  const [start, setStart] = useState(isoDay(new Date(today.getTime() - 6 * 86_400_000)));
  const [end, setEnd] = useState(isoDay(today));
  const [report, setReport] = useState<Reconciliation>();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setReport(await reports.reconciliation(start, end));
    } catch (reason) {
      setError(reason as Error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="page">
      <header className="page-header">
        <h1>Reconciliation</h1>
      </header>
      <p className="muted">Walmart totals against Xero totals per day and currency, and the orders that differ.</p>
      <form className="filters" onSubmit={submit} aria-label="Report period">
        <label>
          From
          <input type="date" required value={start} onChange={(e) => setStart(e.target.value)} />
        </label>
        <label>
          To
          <input type="date" required value={end} min={start} onChange={(e) => setEnd(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          Show report
        </button>
      </form>
      {isMissingEndpoint(error) ? <Unavailable what="Reconciliation reports" /> : error && <Notice kind="error">{error.message}</Notice>}
      {report && (
        <>
          <h2>
            Per day, {report.start} to {report.end}
          </h2>
          <table className="table" aria-label="Totals per day">
            <thead>
              <tr>
                <th>Date</th>
                <th>Currency</th>
                <th className="num">Orders</th>
                <th className="num">Walmart</th>
                <th className="num">Xero</th>
                <th className="num">Difference</th>
              </tr>
            </thead>
            <tbody>
              {report.days.map((day) => (
                <tr key={`${day.date}-${day.currency}`} className={isZeroDecimal(day.difference) ? "" : "row-bad"}>
                  <td>{day.date}</td>
                  <td>{day.currency}</td>
                  <td className="num">{day.orders}</td>
                  <td className="num mono">{day.walmart_total}</td>
                  <td className="num mono">{day.xero_total}</td>
                  <td className="num mono">{day.difference}</td>
                </tr>
              ))}
              {report.days.length === 0 && (
                <tr>
                  <td colSpan={6} className="empty">
                    No orders in this period.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
          <h2>Orders that differ ({report.differences.length})</h2>
          {report.differences.length === 0 ? (
            <Notice kind="success">Every order reconciles to the cent.</Notice>
          ) : (
            <table className="table" aria-label="Orders that differ">
              <thead>
                <tr>
                  <th>Purchase order</th>
                  <th>Date</th>
                  <th>Currency</th>
                  <th className="num">Walmart</th>
                  <th className="num">Xero</th>
                  <th className="num">Difference</th>
                  <th>Reason</th>
                  <th>Run</th>
                </tr>
              </thead>
              <tbody>
                {report.differences.map((row) => (
                  <tr key={row.purchase_order_id}>
                    <td className="mono">{row.purchase_order_id}</td>
                    <td>{row.date}</td>
                    <td>{row.currency}</td>
                    <td className="num mono">{row.walmart_total}</td>
                    <td className="num mono">{row.xero_total}</td>
                    <td className="num mono">{row.difference}</td>
                    <td>{row.reason}</td>
                    <td>{row.run ? <Link to={`/runs/${row.run}`}>{row.run.slice(0, 8)}</Link> : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
