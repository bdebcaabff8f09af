import { useEffect, useId, useRef, type ReactNode } from "react";

interface ModalProps {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  wide?: boolean;
}

/** A modal on the native <dialog>: focus stays inside, Escape closes. Mounted only while open. */
export function Modal({ title, onClose, children, footer, wide }: ModalProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) {
      if (typeof dialog.showModal === "function") dialog.showModal();
      else dialog.setAttribute("open", "");
    }
  }, []);
  return (
    <dialog
      ref={ref}
      className={wide ? "ed-modal ed-modal-wide" : "ed-modal"}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <header className="ed-modal-header">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="ed-icon" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      <div className="ed-modal-body">{children}</div>
      {footer && <footer className="ed-modal-footer">{footer}</footer>}
    </dialog>
  );
}
