/** The reasons a settings change was not saved, as the page's checks or the gateway gave them. */
export function NotSaved(props: { problems: string[]; testid: string }) {
  if (props.problems.length === 0) return null;
  return (
    <div class="problems" data-testid={props.testid}>
      <strong>Not saved:</strong>
      <ul>
        {props.problems.map((p) => (
          <li>{p}</li>
        ))}
      </ul>
    </div>
  );
}
