// Build settings for the embedded Studio. The output is committed and embedded in the
// backend binary, so it must be byte-for-byte reproducible: content-hashed names only,
// no source maps (they carry absolute paths), no build timestamps.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    target: "es2022",
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    chunkSizeWarningLimit: 400,
  },
  // The Studio's worker (src/worker/worker.ts) is a module worker of its own.
  worker: { format: "es" },
  server: {
    proxy: {
      "/ExperimentService": "http://127.0.0.1:50051",
      "/healthz": "http://127.0.0.1:50051",
    },
  },
});
