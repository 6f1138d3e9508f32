/**
 * What can follow a run: Continue (finish an image that stopped early or was cancelled, exactly as an uninterrupted
 * run would) and Copy link (the URL that restores these settings and makes this image again).
 */
import { useEffect, useId, useState } from 'react';

interface Props {
  /** The scale Continue resumes after, or null when there is nothing to continue. */
  continueFrom: { scale: number; grid: number } | null;
  onContinue(): void;
  /** The link of the selected image; null while none can be made (with `linkNote` saying why, when there is a reason). */
  link: string | null;
  linkNote: string | null;
  disabled: boolean;
}

export function RunActions({ continueFrom, onContinue, link, linkNote, disabled }: Props) {
  const id = useId();
  const [shown, setShown] = useState<{ link: string; copied: boolean } | null>(null);
  useEffect(() => setShown(null), [link]);

  const copy = async () => {
    if (!link) return;
    let copied = false;
    try {
      await navigator.clipboard.writeText(link);
      copied = true;
    } catch {
      // No clipboard here (permissions, insecure context): the field below shows the link to copy by hand.
    }
    setShown({ link, copied });
  };

  return (
    <div className="run-actions" role="group" aria-label="This image">
      {continueFrom && (
        <button type="button" className="btn btn-primary" onClick={onContinue} disabled={disabled} data-testid="continue" data-scale={continueFrom.scale}>
          Continue from {continueFrom.grid}×{continueFrom.grid}
        </button>
      )}
      <button
        type="button"
        className="btn btn-secondary"
        onClick={() => void copy()}
        disabled={disabled || !link}
        aria-describedby={linkNote ? `${id}-note` : undefined}
        data-testid="copy-link"
      >
        Copy link
      </button>
      {linkNote && (
        <p id={`${id}-note`} className="muted small run-actions-note">
          {linkNote}
        </p>
      )}
      {shown && (
        <>
          <p className="muted small run-actions-note" role="status">
            {shown.copied ? 'Link copied. It restores these settings and makes this image again.' : 'Copy this link by hand:'}
          </p>
          <input
            className="input link-field"
            readOnly
            value={shown.link}
            aria-label="Link to this image"
            onFocus={(e) => e.target.select()}
            data-testid="link-field"
          />
        </>
      )}
    </div>
  );
}
