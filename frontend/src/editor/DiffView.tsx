import type { DocumentDiff } from "../graph/diff";
import { isEmptyDiff } from "../graph/diff";

function show(value: unknown): string {
  return value === undefined ? "(unset)" : JSON.stringify(value);
}

/** Two versions side by side: nodes added/removed/changed (with fields), edges added/removed. */
export function DiffView({ diff, from, to }: { diff: DocumentDiff; from: string; to: string }) {
  if (isEmptyDiff(diff)) return <p>No differences between {from} and {to} (positions aside).</p>;
  const edge = (e: { source: string; source_port?: string; target: string; target_port?: string }) =>
    `${e.source}.${e.source_port ?? "out"} → ${e.target}.${e.target_port ?? "in"}`;
  return (
    <div className="ed-diff" data-testid="version-diff">
      <p className="ed-muted">
        From {from} to {to}
      </p>
      {diff.addedNodes.length > 0 && (
        <section>
          <h3>Nodes added</h3>
          <ul>{diff.addedNodes.map((n) => <li key={n.id} className="ed-add">+ {n.id} ({n.type})</li>)}</ul>
        </section>
      )}
      {diff.removedNodes.length > 0 && (
        <section>
          <h3>Nodes removed</h3>
          <ul>{diff.removedNodes.map((n) => <li key={n.id} className="ed-del">− {n.id} ({n.type})</li>)}</ul>
        </section>
      )}
      {diff.changedNodes.length > 0 && (
        <section>
          <h3>Nodes changed</h3>
          {diff.changedNodes.map((change) => (
            <div key={change.id}>
              <strong>{change.id}</strong>
              <table className="ed-diff-table">
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    <th scope="col">{from}</th>
                    <th scope="col">{to}</th>
                  </tr>
                </thead>
                <tbody>
                  {change.fields.map((f) => (
                    <tr key={f.path}>
                      <th scope="row">{f.path}</th>
                      <td className="ed-del">{show(f.before)}</td>
                      <td className="ed-add">{show(f.after)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ))}
        </section>
      )}
      {(diff.addedEdges.length > 0 || diff.removedEdges.length > 0) && (
        <section>
          <h3>Connections</h3>
          <ul>
            {diff.addedEdges.map((e) => <li key={`a${e.id}`} className="ed-add">+ {edge(e)}</li>)}
            {diff.removedEdges.map((e) => <li key={`r${e.id}`} className="ed-del">− {edge(e)}</li>)}
          </ul>
        </section>
      )}
    </div>
  );
}
