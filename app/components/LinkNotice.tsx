/** What in the page's URL could not be used (unknown parameters, invalid values), shown instead of failing. */
export function LinkNotice({ problems, onDismiss }: { problems: string[]; onDismiss(): void }) {
  if (problems.length === 0) return null;
  return (
    <div className="banner banner-notice" role="alert" data-testid="url-problems">
      <div className="banner-body">
        <strong className="banner-title">Some settings of the link or PNG were not used</strong>
        <ul>
          {problems.map((p) => (
            <li key={p} data-testid="url-problem">
              {p}
            </li>
          ))}
        </ul>
        <p className="banner-advice">The page uses the model's defaults for those and does not generate by itself.</p>
      </div>
      <button type="button" className="btn btn-ghost" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
