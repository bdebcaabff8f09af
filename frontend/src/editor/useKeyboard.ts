import { useEffect, useRef } from "react";

interface Shortcuts {
  enabled: boolean;
  onDelete: () => void;
  onCopy: () => void;
  onPaste: () => void;
  onUndo: () => void;
  onRedo: () => void;
  onSave: () => void;
}

function typing(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  if (!element || !element.closest) return false;
  return !!element.closest("input, textarea, select, [contenteditable=true], dialog");
}

/** Editor shortcuts; ignored while typing in a field or inside a dialog. */
export function useKeyboard(shortcuts: Shortcuts) {
  const ref = useRef(shortcuts);
  ref.current = shortcuts;
  useEffect(() => {
    const handler = (event: KeyboardEvent) => {
      const s = ref.current;
      if (!s.enabled) return;
      const mod = event.ctrlKey || event.metaKey;
      const key = event.key.toLowerCase();
      if (mod && key === "s") {
        event.preventDefault();
        s.onSave();
        return;
      }
      if (typing(event.target)) return;
      if (event.key === "Delete" || event.key === "Backspace") s.onDelete();
      else if (mod && key === "c") s.onCopy();
      else if (mod && key === "v") s.onPaste();
      else if (mod && key === "z" && event.shiftKey) s.onRedo();
      else if (mod && key === "z") s.onUndo();
      else if (mod && key === "y") s.onRedo();
      else return;
      event.preventDefault();
    };
    window.addEventListener("keydown", handler);
    return () => window.removeEventListener("keydown", handler);
  }, []);
}
