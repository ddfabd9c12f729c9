import { CodeMirrorEditor } from "./CodeMirrorEditor";
import { useConnectionId } from "./ConnectionPage";
import { SqlConsole } from "./SqlConsole";

/** The SQL console route: loaded on demand, with CodeMirror, so the first page load stays small. */
export function SqlConsolePage() {
  const id = useConnectionId();
  return <SqlConsole key={id} connectionId={id} Editor={CodeMirrorEditor} />;
}
