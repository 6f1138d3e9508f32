/** The product's name and logo at the left of a page header; `name` and `tagline` vary by page. */
export function Brand({ name, tagline }: { name: string; tagline: string }) {
  return (
    <div className="brand">
      <img className="brand-logo" src="./favicon.svg" alt="" width={32} height={32} />
      <div>
        <span className="brand-name">{name}</span>
        <span className="brand-tag">{tagline}</span>
      </div>
    </div>
  );
}
