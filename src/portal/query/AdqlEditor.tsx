/**
 * The ADQL editor: CodeMirror 6 with its SQL language (highlighting, brackets, history), completion of the
 * service's table and column names from TAP_SCHEMA (units and descriptions shown beside each column), Ctrl/⌘-Enter
 * to run, and the server's error underlined at its line and column.
 */

import { autocompletion, type Completion } from '@codemirror/autocomplete';
import { StandardSQL, sql } from '@codemirror/lang-sql';
import { type Diagnostic, lintGutter, setDiagnostics } from '@codemirror/lint';
import { Compartment, EditorState, Prec } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';
import { type ErrorPosition, errorRange } from '../api/adql-error.js';
import type { SchemaTable } from '../api/tap-schema.js';

export interface AdqlEditorHandle {
  /** Inserts text at the cursor (replacing the selection) and focuses the editor. */
  insert(text: string): void;
  setText(text: string): void;
}

export interface AdqlError extends ErrorPosition {
  readonly message: string;
}

interface Props {
  readonly initialText: string;
  readonly schema: readonly SchemaTable[];
  readonly error: AdqlError | null;
  onChange(text: string): void;
  onRun(): void;
}

function sqlFor(schema: readonly SchemaTable[]) {
  const tables: Record<string, Completion[]> = {};
  for (const table of schema) {
    tables[table.name] = table.columns.map((c) => ({
      label: c.name,
      type: 'property',
      detail: [c.datatype, c.unit].filter(Boolean).join(' · '),
      info: c.description ?? undefined,
    }));
  }
  return sql({ dialect: StandardSQL, schema: tables, upperCaseKeywords: true });
}

export const AdqlEditor = forwardRef<AdqlEditorHandle, Props>(function AdqlEditor(props, ref) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const language = useRef(new Compartment());
  // The latest callbacks, read by the editor's listeners, which are created once.
  const callbacks = useRef(props);
  callbacks.current = props;

  // The editor is created once; later text changes go through the handle.
  // biome-ignore lint/correctness/useExhaustiveDependencies: created once on purpose
  useEffect(() => {
    const editor = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: props.initialText,
        extensions: [
          basicSetup,
          language.current.of(sqlFor([])),
          autocompletion({ activateOnTyping: true }),
          lintGutter(),
          Prec.highest(
            keymap.of([
              {
                key: 'Mod-Enter',
                run: () => {
                  callbacks.current.onRun();
                  return true;
                },
              },
            ]),
          ),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) callbacks.current.onChange(update.state.doc.toString());
          }),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': 'ADQL query' }),
        ],
      }),
    });
    view.current = editor;
    return () => editor.destroy();
  }, []);

  useEffect(() => {
    view.current?.dispatch({ effects: language.current.reconfigure(sqlFor(props.schema)) });
  }, [props.schema]);

  useEffect(() => {
    const editor = view.current;
    if (editor === null) return;
    const diagnostics: Diagnostic[] = [];
    if (props.error !== null) {
      const { from, to } = errorRange(editor.state.doc.toString(), props.error);
      diagnostics.push({ from, to, severity: 'error', message: props.error.message, source: 'ADQL' });
    }
    editor.dispatch(setDiagnostics(editor.state, diagnostics));
  }, [props.error]);

  useImperativeHandle(ref, () => ({
    insert(text) {
      const editor = view.current;
      if (editor === null) return;
      editor.dispatch(editor.state.replaceSelection(text));
      editor.focus();
    },
    setText(text) {
      const editor = view.current;
      if (editor === null) return;
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: text } });
    },
  }));

  return <div className="editor" ref={host} />;
});
