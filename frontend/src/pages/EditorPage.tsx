import { ReactFlowProvider } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useParams } from "react-router-dom";
import { Editor } from "../editor/Editor";
import "../editor/editor.css";

export default function EditorPage() {
  const { id = "" } = useParams();
  return (
    <ReactFlowProvider>
      <Editor key={id} workflowId={id} />
    </ReactFlowProvider>
  );
}
