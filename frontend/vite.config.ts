import { fileURLToPath } from "node:url";
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The Go server; `npm run dev` and `vite preview` forward the API and the operations endpoints to it.
const apiTarget = process.env.DATANIKA_API_URL ?? "http://localhost:8080";
const proxy = Object.fromEntries(
  ["/api", "/healthz", "/readyz", "/metrics"].map((prefix) => [prefix, { target: apiTarget, changeOrigin: false }]),
);

export default defineConfig({
  plugins: [react(), tailwindcss()],
  resolve: {
    alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) },
  },
  server: { proxy },
  preview: { proxy },
  build: {
    outDir: "dist",
    // dist/placeholder.html is tracked in git; scripts/clean-dist.mjs empties the rest first.
    emptyOutDir: false,
  },
});
