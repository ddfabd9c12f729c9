import { describe, expect, it } from "vitest";
import { fallbackLanguage, languages, resources } from "./index";

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === "string") {
      out.set(path, value);
    } else {
      for (const [k, v] of flatten(value, path)) out.set(k, v);
    }
  }
  return out;
}

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)].map((m) => m[1] ?? "").sort();
}

const reference = flatten(resources[fallbackLanguage].translation);

describe("locales", () => {
  it("ships English and at least one more full locale", () => {
    expect(languages).toContain("en");
    expect(languages.length).toBeGreaterThanOrEqual(2);
  });

  it.each(languages)("%s has exactly the keys of English", (language) => {
    const keys = [...flatten(resources[language].translation).keys()].sort();
    expect(keys).toEqual([...reference.keys()].sort());
  });

  it.each(languages)("%s has no empty values", (language) => {
    const empty = [...flatten(resources[language].translation)]
      .filter(([, value]) => value.trim() === "")
      .map(([key]) => key);
    expect(empty).toEqual([]);
  });

  it.each(languages)("%s uses the same interpolation placeholders as English", (language) => {
    for (const [key, value] of flatten(resources[language].translation)) {
      expect({ key, placeholders: placeholders(value) }).toEqual({
        key,
        placeholders: placeholders(reference.get(key) ?? ""),
      });
    }
  });
});
