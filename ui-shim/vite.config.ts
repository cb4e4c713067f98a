// Build settings for the embedded Studio. The output is committed and embedded in the
// backend binary, so it must be byte-for-byte reproducible: content-hashed names only,
// no source maps (they carry absolute paths), no build timestamps.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";

/** A gzip copy beside each script and style sheet, which the backend sends to a browser that
 *  accepts gzip: a Studio opened from another machine loads about a third of the bytes, and
 *  the server spends no CPU compressing per request. The header's OS byte is set to "unknown"
 *  so the bytes do not depend on the building system; check-dist.sh compares the copies by
 *  their content, since another zlib may compress the same bytes differently. */
function gzipCopies(): Plugin {
  return {
    name: "weightslab-gzip-copies",
    apply: "build",
    enforce: "post",
    // After the files are written: earlier hooks still see a chunk before Vite's last rewrites.
    writeBundle(options, bundle) {
      for (const fileName of Object.keys(bundle)) {
        if (!/\.(js|css)$/.test(fileName)) continue;
        const file = path.join(options.dir ?? "dist", fileName);
        const gzipped = gzipSync(readFileSync(file), { level: 9 });
        gzipped[9] = 0xff;
        writeFileSync(`${file}.gz`, gzipped);
      }
    },
  };
}

export default defineConfig({
  base: "/",
  plugins: [gzipCopies()],
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
