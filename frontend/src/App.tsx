import { NavLink, Route, Routes } from "react-router-dom";
import AlertsPage from "./pages/AlertsPage";
import ConnectionsPage from "./pages/ConnectionsPage";
import DeadLettersPage from "./pages/DeadLettersPage";
import EditorPage from "./pages/EditorPage";
import MappingsPage from "./pages/MappingsPage";
import ReconciliationPage from "./pages/ReconciliationPage";
import ReviewPage from "./pages/ReviewPage";
import RunDetailPage from "./pages/RunDetailPage";
import RunsPage from "./pages/RunsPage";
import TemplatesPage from "./pages/TemplatesPage";
import WorkflowsPage from "./pages/WorkflowsPage";

const NAV = [
  ["/", "Workflows"],
  ["/templates", "Templates"],
  ["/runs", "Runs"],
  ["/review", "Review"],
  ["/dead-letters", "Dead letters"],
  ["/connections", "Connections"],
  ["/mappings", "Mappings"],
  ["/reconciliation", "Reconciliation"],
  ["/alerts", "Alerts"],
] as const;

export default function App() {
  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">Ledgerline</span>
        <nav aria-label="Main">
          {NAV.map(([to, label]) => (
            <NavLink key={to} to={to} end={to === "/"}>
              {label}
            </NavLink>
          ))}
        </nav>
        <form method="post" action="/logout/" className="logout">
          <input type="hidden" name="csrfmiddlewaretoken" value={csrfFromCookie()} />
          <button type="submit">Log out</button>
        </form>
      </header>
      <main>
        <Routes>
          <Route path="/" element={<WorkflowsPage />} />
          <Route path="/workflows/:id" element={<EditorPage />} />
          <Route path="/templates" element={<TemplatesPage />} />
          <Route path="/runs" element={<RunsPage />} />
          <Route path="/runs/:id" element={<RunDetailPage />} />
          <Route path="/dead-letters" element={<DeadLettersPage />} />
          <Route path="/connections" element={<ConnectionsPage />} />
          <Route path="/review" element={<ReviewPage />} />
          <Route path="/mappings" element={<MappingsPage />} />
          <Route path="/reconciliation" element={<ReconciliationPage />} />
          <Route path="/alerts" element={<AlertsPage />} />
          <Route path="*" element={<p>There is no page here.</p>} />
        </Routes>
      </main>
    </div>
  );
}

function csrfFromCookie(): string {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}
