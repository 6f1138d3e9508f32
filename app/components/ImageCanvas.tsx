/**
 * One RGBA image painted at its native resolution into a canvas that CSS scales up with nearest-neighbour
 * sampling, so the canvas' own pixels are exactly the model's pixels (the e2e test reads them back).
 */
import { useEffect, useRef, type HTMLAttributes } from 'react';
import type { RgbaImage } from '../../src/types';

interface Props extends HTMLAttributes<HTMLCanvasElement> {
  image: RgbaImage | null;
  /** Native size used while there is no image yet. */
  placeholderSize: number;
  label: string;
  [dataAttribute: `data-${string}`]: string | number | undefined;
}

export function ImageCanvas({ image, placeholderSize, label, className, ...rest }: Props) {
  const ref = useRef<HTMLCanvasElement>(null);
  const width = image?.width ?? placeholderSize;
  const height = image?.height ?? placeholderSize;

  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (image) ctx.putImageData(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height), 0, 0);
  }, [image, width, height]);

  return (
    <canvas
      ref={ref}
      width={width}
      height={height}
      role="img"
      aria-label={label}
      className={['pixel-canvas', className].filter(Boolean).join(' ')}
      {...rest}
    />
  );
}
