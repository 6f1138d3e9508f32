/** What the loaded model is, from its manifest: description, size, schedule, licence. */
import type { ModelInfo } from '../../src/types';
import { formatBytes } from '../format';

export function ModelAbout({ info }: { info: ModelInfo }) {
  const arch = info.architecture === 'nestar' ? 'Nested autoregressive (NestAR)' : 'Raster autoregressive baseline';
  const side = info.imageSize / info.grid; // pixels per token side
  const tok = info.tokenizer;
  const tokens = tok
    ? `${tok.latentChannels}-channel latents of a nested tokenizer, one per ${side}×${side} px block`
    : `pixel patches of ${side}×${side} px`;
  return (
    <details className="card about">
      <summary>About this model</summary>
      <p>{info.description}</p>
      <dl className="about-grid">
        <dt>Architecture</dt>
        <dd>{arch}</dd>
        <dt>Image</dt>
        <dd>
          {info.imageSize}×{info.imageSize} px · {info.grid}×{info.grid} = {info.tokenCount} tokens
        </dd>
        <dt>Tokens</dt>
        <dd data-testid="model-token-layout">{tokens}</dd>
        {tok && (
          <>
            <dt>Tokenizer</dt>
            <dd data-testid="model-tokenizer">
              {tok.previewDecoder
                ? `${tok.decoderFile} (${formatBytes(tok.decoderBytes)}) runs here in the browser and turns the finished latents into the image; ` +
                  `${tok.previewDecoder.file} (${formatBytes(tok.previewDecoder.bytes)}) makes the coarser scales' previews`
                : `${tok.decoderFile} (${formatBytes(tok.decoderBytes)}) runs here in the browser and turns each scale's latents into a full-size picture`}
              {tok.parameters !== null && ` · ${(tok.parameters / 1e6).toFixed(2)}M parameters with its encoder`}
              {tok.reconstructionPsnr !== null && ` · held-out reconstruction ${tok.reconstructionPsnr.toFixed(1)} dB PSNR`}
            </dd>
          </>
        )}
        <dt>Scales</dt>
        <dd>{info.scales.map((s) => `${s.grid}×${s.grid}`).join(' → ')}</dd>
        <dt>Sequential steps</dt>
        <dd>
          {info.sequentialSteps} (token-by-token would take {info.tokenCount})
        </dd>
        <dt>Classes</dt>
        <dd>{info.classes.length}</dd>
        <dt>Download</dt>
        <dd>
          {formatBytes(info.loadBytes)}
          {info.loadBytes < info.totalBytes && (
            <span className="muted small"> · the other solver's heads ({formatBytes(info.totalBytes - info.loadBytes)}) download when first chosen</span>
          )}
        </dd>
        <dt>Licence</dt>
        <dd>{info.license}</dd>
        {info.quality && (
          <>
            <dt>Quality</dt>
            <dd data-testid="model-quality">
              FID {info.quality.fid.toFixed(2)} (real images: {info.quality.fidFloor.toFixed(2)}) · precision {info.quality.precision.toFixed(2)} · recall{' '}
              {info.quality.recall.toFixed(2)} (real: {info.quality.recallFloor.toFixed(2)}) · right class {(info.quality.classAccuracy * 100).toFixed(0)}%
              <span className="muted small"> · {info.quality.samples.toLocaleString('en')} samples, {info.quality.measured}</span>
            </dd>
          </>
        )}
      </dl>
    </details>
  );
}
