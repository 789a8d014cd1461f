import type { ComponentChildren } from 'preact';

/**
 * The console's tables: a scrolling wrapper, column headings (plus an unlabelled-to-the-eye "Actions" column
 * for row buttons), the rows, and a row saying the list is empty when it is.
 */
export function DataTable(props: {
  columns: string[];
  actions?: boolean;
  /** Shown as the only row when `isEmpty`. */
  empty?: string;
  isEmpty?: boolean;
  children: ComponentChildren;
}) {
  const span = props.columns.length + (props.actions ? 1 : 0);
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
            {props.actions && (
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {props.children}
          {props.isEmpty && props.empty && (
            <tr>
              <td colSpan={span}>{props.empty}</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
