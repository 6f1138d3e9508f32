/** A form field's validation message, tied to its input by `${id}-error` (aria-describedby). */
export function FieldError({ id, error }: { id: string; error: string | null | undefined }) {
  if (!error) return null;
  return (
    <p id={`${id}-error`} className="field-error" role="alert" data-testid="field-error">
      {error}
    </p>
  );
}
