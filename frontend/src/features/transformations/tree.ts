/** What the tree needs of a model. */
export type TreeModel = { id: number; name: string; path: string };

export type TreeRow<M extends TreeModel> =
  | { kind: "folder"; path: string; name: string; depth: number }
  | { kind: "model"; model: M; depth: number };

/**
 * The models as the rows of a folder tree by `path` (`staging/stg_orders.sql` is the model
 * `stg_orders` in the folder `staging`), folders before models at each level, both by name. With a
 * search, only the models whose name or path contains it (ignoring case) and their folders.
 */
export function treeRows<M extends TreeModel>(models: readonly M[], search = ""): TreeRow<M>[] {
  const needle = search.trim().toLowerCase();
  const kept = needle === "" ? models : models.filter((m) => m.name.toLowerCase().includes(needle) || m.path.toLowerCase().includes(needle));
  type Folder = { folders: Map<string, Folder>; models: M[] };
  const root: Folder = { folders: new Map(), models: [] };
  for (const model of kept) {
    const parts = model.path.split("/").filter((part) => part !== "");
    let folder = root;
    for (const part of parts.slice(0, -1)) {
      let next = folder.folders.get(part);
      if (!next) {
        next = { folders: new Map(), models: [] };
        folder.folders.set(part, next);
      }
      folder = next;
    }
    folder.models.push(model);
  }
  const rows: TreeRow<M>[] = [];
  const walk = (folder: Folder, prefix: string, depth: number) => {
    for (const name of [...folder.folders.keys()].sort((a, b) => a.localeCompare(b))) {
      const path = prefix === "" ? name : `${prefix}/${name}`;
      rows.push({ kind: "folder", path, name, depth });
      const child = folder.folders.get(name);
      if (child) walk(child, path, depth + 1);
    }
    for (const model of [...folder.models].sort((a, b) => a.name.localeCompare(b.name))) rows.push({ kind: "model", model, depth });
  };
  walk(root, "", 0);
  return rows;
}

/** What a model reads (its `depends_on`) and the models that read it, by unique id. */
export function lineageOf<M extends TreeModel & { depends_on: string[] }>(
  models: readonly M[],
  model: { name: string; depends_on: string[] },
): { upstream: { uniqueId: string; name: string; model: M | undefined }[]; downstream: M[] } {
  const byName = new Map(models.map((m) => [m.name, m]));
  const upstream = model.depends_on.map((uniqueId) => {
    const parts = uniqueId.split(".");
    const kind = parts[0];
    const name = kind === "source" ? parts.slice(2).join(".") : (parts.at(-1) ?? uniqueId);
    return { uniqueId, name, model: kind === "model" || kind === "snapshot" ? byName.get(name) : undefined };
  });
  const downstream = models
    .filter((m) => m.depends_on.some((id) => /^(model|snapshot)\./.test(id) && id.split(".").at(-1) === model.name))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { upstream, downstream };
}
