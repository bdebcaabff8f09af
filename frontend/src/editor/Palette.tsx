import { useMemo, useState, type DragEvent } from "react";
import type { NodeTypeInfo } from "../graph/types";

export const DRAG_TYPE = "application/x-ledgerline-node-type";

interface PaletteProps {
  nodeTypes: NodeTypeInfo[];
  /** Keyboard and double-click: add at the centre of the view. */
  onAdd: (type: NodeTypeInfo) => void;
}

/** Every registered node type, grouped by category, searchable, draggable onto the canvas. */
export function Palette({ nodeTypes, onAdd }: PaletteProps) {
  const [query, setQuery] = useState("");
  const groups = useMemo(() => {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const matching = nodeTypes.filter((t) => {
      const text = `${t.title} ${t.type} ${t.category} ${t.description}`.toLowerCase();
      return words.every((w) => text.includes(w));
    });
    const byCategory = new Map<string, NodeTypeInfo[]>();
    for (const type of matching) byCategory.set(type.category, [...(byCategory.get(type.category) ?? []), type]);
    const order = (c: string) => (c === "Triggers" ? "0" : `1${c}`);
    return [...byCategory.entries()].sort(([a], [b]) => order(a).localeCompare(order(b)));
  }, [nodeTypes, query]);

  function dragStart(event: DragEvent, type: NodeTypeInfo) {
    event.dataTransfer.setData(DRAG_TYPE, type.type);
    event.dataTransfer.setData("text/plain", type.type);
    event.dataTransfer.effectAllowed = "copy";
  }

  return (
    <aside className="ed-palette" data-testid="palette" aria-label="Node types">
      <input
        type="search"
        className="ed-search"
        aria-label="Search node types"
        placeholder="Search node types"
        value={query}
        onChange={(event) => setQuery(event.target.value)}
      />
      <div className="ed-palette-list">
        {groups.length === 0 && <p className="ed-muted">No node type matches “{query}”.</p>}
        {groups.map(([category, types]) => (
          <section key={category} aria-label={category}>
            <h3>{category}</h3>
            <ul>
              {types.map((type) => (
                <li
                  key={type.type}
                  data-testid={`palette-item-${type.type}`}
                  className="ed-palette-item"
                  draggable
                  tabIndex={0}
                  role="button"
                  aria-label={`Add ${type.title}`}
                  title={`${type.description || type.title}\n${type.type} — drag onto the canvas, or press Enter`}
                  onDragStart={(event) => dragStart(event, type)}
                  onDoubleClick={() => onAdd(type)}
                  onKeyDown={(event) => {
                    if (event.key === "Enter" || event.key === " ") {
                      event.preventDefault();
                      onAdd(type);
                    }
                  }}
                >
                  <span className="ed-palette-title">{type.title}</span>
                  <span className="ed-palette-type">{type.type}</span>
                </li>
              ))}
            </ul>
          </section>
        ))}
      </div>
    </aside>
  );
}
