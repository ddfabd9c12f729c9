// Empties dist/ before a build while keeping dist/placeholder.html, which is tracked in git so
// that the Go server (frontend/embed.go) compiles on a fresh clone without npm.
import { mkdir, readdir, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";

const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const keep = new Set(["placeholder.html"]);

await mkdir(dist, { recursive: true });
for (const entry of await readdir(dist)) {
  if (!keep.has(entry)) {
    await rm(path.join(dist, entry), { recursive: true, force: true });
  }
}
