import type { ComponentChildren } from 'preact';

/** An error or status line that screen readers announce when it appears. */
export function Notice(props: { kind?: 'error' | 'ok' | 'info'; children: ComponentChildren }) {
  const kind = props.kind ?? 'info';
  return (
    <p class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </p>
  );
}

/** A state as a labelled badge (colour is never the only cue: the word is there). */
export function Badge(props: { state: string }) {
  return <span class={`badge badge-${props.state.replace(/[^a-z]/g, '')}`}>{props.state}</span>;
}
