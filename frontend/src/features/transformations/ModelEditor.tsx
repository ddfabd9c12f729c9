import { autocompletion, type Completion, type CompletionContext as CMContext, type CompletionResult } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { sql } from "@codemirror/lang-sql";
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { EditorState, Prec, RangeSetBuilder, StateEffect, StateField } from "@codemirror/state";
import {
  Decoration,
  drawSelection,
  EditorView,
  highlightActiveLine,
  keymap,
  lineNumbers,
  MatchDecorator,
  ViewPlugin,
  WidgetType,
  type DecorationSet,
  type ViewUpdate,
} from "@codemirror/view";
import { useEffect, useRef } from "react";
import { completionContext, filterOptions } from "./completion";
import type { LineError } from "./diagnostics";

/** The names the editor completes, read at each completion so they can change under it. */
export type CompletionData = {
  models: string[];
  sources: Map<string, string[]>;
  macros: string[];
  /** Relations of the destination's catalog (`schema.table` and `table`) with their columns. */
  relations: Map<string, string[]>;
};

export type ModelEditorProps = {
  value: string;
  onChange: (value: string) => void;
  /** Ctrl/Cmd+Enter. */
  onRun: () => void;
  label: string;
  completions: CompletionData;
  errors: LineError[];
};

const theme = EditorView.theme({
  "&": { backgroundColor: "var(--background)", color: "var(--foreground)", fontSize: "0.875rem", minHeight: "16rem" },
  ".cm-content": { caretColor: "var(--foreground)", fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace" },
  ".cm-gutters": { backgroundColor: "var(--muted)", color: "var(--muted-foreground)", borderRight: "1px solid var(--border)" },
  ".cm-activeLine": { backgroundColor: "color-mix(in oklch, var(--accent) 60%, transparent)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--accent)" },
  "&.cm-focused": { outline: "2px solid var(--ring)" },
  ".cm-scroller": { minHeight: "16rem", maxHeight: "32rem" },
  ".cm-jinja": { color: "var(--primary)", backgroundColor: "color-mix(in oklch, var(--primary) 10%, transparent)", borderRadius: "2px" },
  ".cm-error-line": { backgroundColor: "color-mix(in oklch, var(--destructive) 15%, transparent)" },
  ".cm-error-message": { color: "var(--destructive)", fontSize: "0.75rem", paddingLeft: "1rem", fontFamily: "ui-sans-serif, system-ui" },
});

/** Jinja tags (`{{ … }}`, `{% … %}`, `{# … #}`) stand out from the SQL around them. */
const jinjaMatcher = new MatchDecorator({
  regexp: /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\}/g,
  decoration: Decoration.mark({ class: "cm-jinja" }),
});
const jinjaHighlight = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    constructor(view: EditorView) {
      this.decorations = jinjaMatcher.createDeco(view);
    }
    update(update: ViewUpdate) {
      this.decorations = jinjaMatcher.updateDeco(update, this.decorations);
    }
  },
  { decorations: (plugin) => plugin.decorations },
);

class ErrorMessage extends WidgetType {
  readonly message: string;
  constructor(message: string) {
    super();
    this.message = message;
  }
  override eq(other: ErrorMessage) {
    return other.message === this.message;
  }
  toDOM() {
    const span = document.createElement("span");
    span.className = "cm-error-message";
    span.setAttribute("role", "note");
    span.textContent = `⚠ ${this.message}`;
    return span;
  }
}

const setErrors = StateEffect.define<LineError[]>();

/** The errors of the last save or compile, marked at their lines with their message at the end. */
const errorField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(decorations, transaction) {
    let next = decorations.map(transaction.changes);
    for (const effect of transaction.effects) {
      if (!effect.is(setErrors)) continue;
      const builder = new RangeSetBuilder<Decoration>();
      const doc = transaction.state.doc;
      const byLine = [...effect.value].filter((e) => e.line <= doc.lines).sort((a, b) => a.line - b.line);
      for (const error of byLine) {
        const line = doc.line(error.line);
        builder.add(line.from, line.from, Decoration.line({ class: "cm-error-line", attributes: { "data-error-line": String(error.line) } }));
        builder.add(line.to, line.to, Decoration.widget({ widget: new ErrorMessage(error.message), side: 1 }));
      }
      next = builder.finish();
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

function options(names: string[], prefix: string, type: string, detail?: string): Completion[] {
  return filterOptions(names, prefix).map((label) => ({ label, type, ...(detail ? { detail } : {}) }));
}

/** A CodeMirror 6 editor for a model: SQL with Jinja, completion of the project's names, errors at their lines. */
export function ModelEditor({ value, onChange, onRun, label, completions, errors }: ModelEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef({ onChange, onRun, completions });
  useEffect(() => {
    latest.current = { onChange, onRun, completions };
  });

  useEffect(() => {
    if (!host.current) return;
    const complete = (context: CMContext): CompletionResult | null => {
      const line = context.state.doc.lineAt(context.pos);
      const before = line.text.slice(0, context.pos - line.from);
      const at = completionContext(before);
      const data = latest.current.completions;
      const from = context.pos - at.prefix.length;
      let list: Completion[];
      switch (at.kind) {
        case "ref":
          list = options(data.models, at.prefix, "class", "model");
          break;
        case "sourceName":
          list = options([...data.sources.keys()], at.prefix, "namespace", "source");
          break;
        case "sourceTable":
          list = options(data.sources.get(at.source) ?? [], at.prefix, "class", at.source);
          break;
        case "jinja":
          list = [
            ...options(["ref", "source", "config", "var", "is_incremental", "this"], at.prefix, "keyword"),
            ...options(data.macros, at.prefix, "function", "macro"),
          ];
          break;
        case "sql": {
          if (at.qualifier !== null) {
            list = options(data.relations.get(at.qualifier) ?? [], at.prefix, "property");
            break;
          }
          if (at.prefix === "" && !context.explicit) return null;
          const columns = new Set<string>();
          for (const names of data.relations.values()) for (const name of names) columns.add(name);
          list = [...options([...data.relations.keys()], at.prefix, "class", "relation"), ...options([...columns], at.prefix, "property", "column")];
          break;
        }
      }
      if (list.length === 0) return null;
      return { from, options: list, validFor: /^\w*$/ };
    };
    const editor = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          Prec.highest(
            keymap.of([
              {
                key: "Mod-Enter",
                run: () => {
                  latest.current.onRun();
                  return true;
                },
              },
            ]),
          ),
          lineNumbers(),
          history(),
          drawSelection(),
          highlightActiveLine(),
          bracketMatching(),
          sql(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          jinjaHighlight,
          errorField,
          autocompletion({ override: [complete], activateOnTyping: true }),
          keymap.of([...defaultKeymap, ...historyKeymap]),
          theme,
          EditorView.contentAttributes.of({ "aria-label": label }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) latest.current.onChange(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
    // The editor owns its text after creation; `value` only seeds it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    view.current?.dispatch({ effects: setErrors.of(errors) });
  }, [errors]);

  return <div ref={host} data-testid="model-editor" />;
}
