import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { listOf } from "../api/client";
import { templates } from "../api/resources";
import type { Template } from "../api/types";
import { LoadError, Notice } from "../components/Notice";
import { useLoad } from "../components/useLoad";

export default function TemplatesPage() {
  const navigate = useNavigate();
  const list = useLoad(() => templates.list(), []);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<string>();

  async function use(template: Template) {
    setBusy(template.id);
    try {
      const workflow = await templates.clone(template.id);
      navigate(`/workflows/${workflow.id}`);
    } catch (reason) {
      setError((reason as Error).message);
      setBusy(undefined);
    }
  }

  return (
    <section className="page">
      <header className="page-header">
        <h1>Templates</h1>
      </header>
      <p className="muted">Prebuilt flows: use one to get your own copy, then adjust it on the canvas.</p>
      {error && <Notice kind="error">{error}</Notice>}
      <LoadError error={list.error} />
      <div className="cards">
        {(list.data ? listOf(list.data) : []).map((template) => {
          const info = template.template_info ?? {};
          return (
            <article className="card" key={template.id} aria-labelledby={`template-${template.id}`}>
              <h2 id={`template-${template.id}`}>{template.name}</h2>
              <p>{info.summary ?? template.description}</p>
              {info.summary && template.description && template.description !== info.summary && (
                <p className="muted small">{template.description}</p>
              )}
              <List title="What it needs" items={info.needs} />
              <List title="What to configure" items={info.configure} />
              <List title="What it creates" items={info.creates} />
              <div className="card-footer">
                <button
                  type="button"
                  className="primary"
                  disabled={busy !== undefined}
                  aria-label={`Use template ${template.name}`}
                  onClick={() => use(template)}
                >
                  {busy === template.id ? "Creating…" : "Use template"}
                </button>
              </div>
            </article>
          );
        })}
      </div>
    </section>
  );
}

function List({ title, items }: { title: string; items?: string[] }) {
  if (!items?.length) return null;
  return (
    <>
      <h3>{title}</h3>
      <ul>
        {items.map((item) => (
          <li key={item}>{item}</li>
        ))}
      </ul>
    </>
  );
}
