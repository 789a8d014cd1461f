import { shortId } from '../format.js';

/** A node id, shortened on screen, in full for screen readers and on hover. */
export function PeerId(props: { id: string }) {
  return (
    <span class="peer-id" title={props.id}>
      <span aria-hidden="true">{shortId(props.id)}</span>
      <span class="sr-only">{props.id}</span>
    </span>
  );
}
