/**
 * Builds the Portal (a React app) into dist/portal, served by `meridian serve` at /portal (src/server/portal.ts).
 * Everything is bundled: nothing is fetched from a CDN at run time, and no fonts are downloaded (system fonts).
 * Run by `npm run build`; `vite -c src/portal/vite.config.ts` serves it with hot reload, proxying /api to a server
 * on 127.0.0.1:8080.
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/portal/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/portal', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    // The editor, the table and the plots load with the page: one app, no lazy routes yet.
    chunkSizeWarningLimit: 1500,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
