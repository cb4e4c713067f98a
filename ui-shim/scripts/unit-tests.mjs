// Runs the Studio's unit tests (src/**/*.test.ts) with node's built-in runner: esbuild bundles
// each test file into a temporary folder first, since Node 20 cannot load TypeScript itself.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tests = [];
const walk = (dir) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith(".test.ts")) tests.push(p);
  }
};
walk(path.join(root, "src"));
const out = fs.mkdtempSync(path.join(os.tmpdir(), "studio-unit-"));
try {
  await build({
    entryPoints: tests,
    outdir: out,
    outbase: path.join(root, "src"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outExtension: { ".js": ".mjs" },
    external: ["node:*"],
    logLevel: "warning",
  });
  const files = tests.map((t) => path.join(out, path.relative(path.join(root, "src"), t)).replace(/\.ts$/, ".mjs"));
  const r = spawnSync(process.execPath, ["--test", ...files], { stdio: "inherit" });
  process.exitCode = r.status ?? 1;
} finally {
  fs.rmSync(out, { recursive: true, force: true });
}
