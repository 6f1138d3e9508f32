import { defineConfig } from 'vitest/config';

// Unit tests of the library run in plain Node: onnxruntime-web's wasm backend needs no browser.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'app/**/*.test.ts'],
    testTimeout: 120_000,
  },
});
