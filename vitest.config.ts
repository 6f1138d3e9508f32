import { defineConfig } from 'vitest/config';

// Unit tests of the library run in plain Node: onnxruntime-web's wasm backend needs no browser. bench/'s tests are
// of its pure modules (option handling).
export default defineConfig({
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'app/**/*.test.ts', 'bench/**/*.test.mjs'],
    testTimeout: 120_000,
  },
});
