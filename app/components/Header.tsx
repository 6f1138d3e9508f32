/** Product header: name, the loaded model's title (with a switcher when the index lists several) and backend. */
import type { ModelIndexEntry } from '../modelSource';
import type { RuntimeInfo } from '../../src/types';
import { BackendBadge } from './BackendBadge';
import { Brand } from './Brand';

interface Props {
  modelId: string | null;
  runtime: RuntimeInfo | null;
  models: ModelIndexEntry[];
  loading: boolean;
  /** Loads another model in this page (useNestar.switchModel). */
  onSwitch(id: string): void;
  /** While a run is in flight the model cannot change. */
  switchDisabled: boolean;
}

export function Header({ modelId, runtime, models, loading, onSwitch, switchDisabled }: Props) {
  const title = runtime?.model?.title ?? models.find((m) => m.id === modelId)?.title ?? modelId ?? '…';
  const choices = modelId && !models.some((m) => m.id === modelId) ? [...models, { id: modelId, title: modelId }] : models;
  const switcher = models.length > 1;
  return (
    <header className="app-header">
      <Brand name="NestAR Studio" tagline="coarse-to-fine image generation, on your machine" />
      <div className="header-model">
        {/* With a switcher, its selected entry names the model: the title stays for screen readers only. */}
        <h1 className={switcher ? 'model-title visually-hidden' : 'model-title'} data-testid="model-title">
          {title}
        </h1>
        {switcher && (
          <select
            className="model-switch"
            aria-label="Model"
            value={modelId ?? ''}
            disabled={switchDisabled}
            onChange={(e) => onSwitch(e.target.value)}
          >
            {choices.map((m) => (
              <option key={m.id} value={m.id}>
                {m.title}
              </option>
            ))}
          </select>
        )}
        <BackendBadge runtime={runtime} loading={loading} />
      </div>
    </header>
  );
}
