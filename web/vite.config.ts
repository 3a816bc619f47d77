import { defineConfig } from 'vite';

// No framework plugin: esbuild compiles Preact's JSX directly, which keeps the dependency list
// short and the build working on Debian 12's own Node.js 18.
export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 300 },
  test: { environment: 'node', globals: true, include: ['src/**/*.test.ts'] },
});
