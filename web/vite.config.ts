/**
 * Builds the console page (web/) into dist/web, which the server serves behind its token.
 * Part of `npm run build`, so `npm ci` (prepare) and `npm test` (pretest) both produce it; the
 * page loads nothing from elsewhere at run time.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Preact's JSX through esbuild's own transform: no framework plugin needed.
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Modern browsers preload modules themselves; the polyfill would be an inline script.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  logLevel: 'warn',
});
