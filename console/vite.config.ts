import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** Ships Swagger UI's prebuilt bundle beside our docs page, so /docs.html works offline. */
function swaggerUi(): Plugin {
  const root = dirname(require.resolve("swagger-ui-dist/package.json"));
  return {
    name: "campusgw-swagger-ui",
    apply: "build",
    generateBundle() {
      for (const file of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
        this.emitFile({ type: "asset", fileName: `assets/swagger/${file}`,
                        source: readFileSync(resolve(root, file)) });
      }
    },
  };
}

export default defineConfig({
  root: here,
  base: "/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  plugins: [swaggerUi()],
  build: {
    outDir: resolve(here, "../gateway/app/web/dist"),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: { main: resolve(here, "index.html"), docs: resolve(here, "docs.html") },
    },
  },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
