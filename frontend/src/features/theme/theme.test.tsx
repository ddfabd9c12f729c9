import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { renderApp } from "@/test/render";
import { setSystemPrefersDark } from "@/test/media";
import { initTheme, themeStorageKey } from "./theme";

const html = document.documentElement;

describe("theme", () => {
  it("follows the system preference when nothing is stored", () => {
    setSystemPrefersDark(true);
    expect(initTheme()).toBe("dark");
    expect(html).toHaveClass("dark");

    setSystemPrefersDark(false);
    expect(html).not.toHaveClass("dark");
  });

  it("prefers a stored choice over the system preference", () => {
    localStorage.setItem(themeStorageKey, "light");
    setSystemPrefersDark(true);
    expect(initTheme()).toBe("light");
    expect(html).not.toHaveClass("dark");

    setSystemPrefersDark(false);
    setSystemPrefersDark(true);
    expect(html).not.toHaveClass("dark");
  });

  it("ignores an invalid stored value", () => {
    localStorage.setItem(themeStorageKey, "purple");
    setSystemPrefersDark(true);
    expect(initTheme()).toBe("dark");
  });

  it("toggles from the header and persists the choice", async () => {
    initTheme();
    const { user, unmount } = await renderApp("/");
    expect(html).not.toHaveClass("dark");

    await user.click(screen.getByRole("button", { name: "Switch to dark mode" }));
    expect(html).toHaveClass("dark");
    expect(localStorage.getItem(themeStorageKey)).toBe("dark");

    await user.click(screen.getByRole("button", { name: "Switch to light mode" }));
    expect(html).not.toHaveClass("dark");
    expect(localStorage.getItem(themeStorageKey)).toBe("light");

    await user.click(screen.getByRole("button", { name: "Switch to dark mode" }));
    unmount();

    // A new page load restores the stored choice even though the system prefers light.
    html.className = "";
    expect(initTheme()).toBe("dark");
    expect(html).toHaveClass("dark");
    await renderApp("/");
    expect(screen.getByRole("button", { name: "Switch to light mode" })).toBeInTheDocument();
  });
});
