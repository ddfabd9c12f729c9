import { screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { detectLanguage, i18n } from "@/i18n";
import { renderApp } from "@/test/render";

describe("language", () => {
  it("switches the whole UI to German and remembers the choice", async () => {
    const { user } = await renderApp("/catalog");
    expect(document.documentElement.lang).toBe("en");

    await user.click(screen.getByRole("button", { name: "Language: English" }));
    await user.click(await screen.findByRole("menuitemradio", { name: "Deutsch" }));

    const nav = await screen.findByRole("navigation", { name: "Hauptnavigation" });
    expect(within(nav).getByRole("link", { name: "Verbindungen" })).toHaveAttribute("href", "/connections");
    expect(within(nav).getByRole("list", { name: "Einstellungen" })).toBeInTheDocument();
    expect(screen.getByRole("heading", { level: 2, name: "Noch nicht gebaut" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Sprache: Deutsch" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Zum dunklen Modus wechseln" })).toBeInTheDocument();
    expect(screen.queryByText("Not built yet")).not.toBeInTheDocument();
    expect(document.documentElement.lang).toBe("de");
    expect(localStorage.getItem("datanika.language")).toBe("de");
    expect(detectLanguage()).toBe("de");

    await user.click(screen.getByRole("button", { name: "Sprache: Deutsch" }));
    await user.click(await screen.findByRole("menuitemradio", { name: "English" }));
    expect(await screen.findByRole("navigation", { name: "Main" })).toBeInTheDocument();
    expect(i18n.language).toBe("en");
  });

  it("detects the browser language when nothing is stored", () => {
    vi.spyOn(navigator, "languages", "get").mockReturnValue(["fr-FR", "de-AT", "en"]);
    expect(detectLanguage()).toBe("de");
    vi.spyOn(navigator, "languages", "get").mockReturnValue(["fr-FR"]);
    expect(detectLanguage()).toBe("en");
  });
});
