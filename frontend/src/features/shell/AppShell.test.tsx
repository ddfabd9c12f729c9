import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { renderApp } from "@/test/render";

const sections = [
  { name: "Dashboard", path: "/" },
  { name: "Connections", path: "/connections" },
  { name: "Files", path: "/files" },
  { name: "Pipelines", path: "/pipelines" },
  { name: "Transformations", path: "/transformations" },
  { name: "Jobs", path: "/jobs" },
  { name: "DAG", path: "/dag" },
  { name: "Schedules", path: "/schedules" },
  { name: "Runs", path: "/runs" },
  { name: "Catalog", path: "/catalog" },
  { name: "Organization", path: "/settings/organization" },
  { name: "Members", path: "/settings/members" },
  { name: "API keys", path: "/settings/api-keys" },
  { name: "Audit log", path: "/settings/audit-log" },
  { name: "Notifications", path: "/settings/notifications" },
  { name: "Export/Import", path: "/settings/export-import" },
  { name: "Status", path: "/status" },
] as const;

function mainNav() {
  return screen.getByRole("navigation", { name: "Main" });
}

describe("app shell", () => {
  it("lists every section in the sidebar, in order, with its path", async () => {
    await renderApp("/");
    const links = within(mainNav()).getAllByRole("link");
    expect(links.map((link) => [link.textContent, link.getAttribute("href")])).toEqual(
      sections.map((section) => [section.name, section.path]),
    );
    const settings = within(mainNav()).getByRole("list", { name: "Settings" });
    expect(within(settings).getAllByRole("link").map((link) => link.textContent)).toEqual([
      "Organization",
      "Members",
      "API keys",
      "Audit log",
      "Notifications",
      "Export/Import",
    ]);
  });

  it("navigates to each section and marks only its link as current", async () => {
    const { router, user } = await renderApp("/");
    for (const section of sections.toReversed()) {
      await user.click(within(mainNav()).getByRole("link", { name: section.name }));
      expect(await screen.findByRole("heading", { level: 1, name: section.name })).toBeInTheDocument();
      expect(router.state.location.pathname).toBe(section.path);
      const current = within(mainNav())
        .getAllByRole("link")
        .filter((link) => link.getAttribute("aria-current") === "page");
      expect(current.map((link) => link.textContent)).toEqual([section.name]);
    }
  });

  it("renders a deep link directly", async () => {
    await renderApp("/catalog");
    expect(screen.getByRole("heading", { level: 1, name: "Catalog" })).toBeInTheDocument();
    expect(within(mainNav()).getByRole("link", { name: "Catalog" })).toHaveAttribute("aria-current", "page");
    expect(screen.getByRole("heading", { level: 2, name: "Not built yet" })).toBeInTheDocument();
    expect(document.title).toBe("Catalog · Datanika");
  });

  it.each([
    ["/dashboard", "/", "Dashboard"],
    ["/settings", "/settings/organization", "Organization"],
  ])("redirects %s to %s", async (from, to, heading) => {
    const { router } = await renderApp(from);
    expect(await screen.findByRole("heading", { level: 1, name: heading })).toBeInTheDocument();
    await waitFor(() => {
      expect(router.state.location.pathname).toBe(to);
    });
  });

  it("shows a not-found page inside the shell for unknown paths", async () => {
    const { user, router } = await renderApp("/no/such/page");
    expect(screen.getByRole("heading", { level: 1, name: "Page not found" })).toBeInTheDocument();
    expect(screen.getByText("There is no page at /no/such/page.")).toBeInTheDocument();
    expect(mainNav()).toBeInTheDocument();
    await user.click(screen.getByRole("link", { name: "Go to the dashboard" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Dashboard" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/");
  });

  it.each(["/settings/nope", "/pipelines/42/extra"])("shows one not-found page for %s under a known section", async (path) => {
    await renderApp(path);
    expect(screen.getByRole("heading", { level: 1, name: "Page not found" })).toBeInTheDocument();
    expect(screen.getAllByRole("main")).toHaveLength(1);
    expect(screen.getAllByRole("navigation", { name: "Main" })).toHaveLength(1);
  });

  it("moves focus to the new page's heading after navigating", async () => {
    const { user } = await renderApp("/");
    await user.click(within(mainNav()).getByRole("link", { name: "Catalog" }));
    const heading = await screen.findByRole("heading", { level: 1, name: "Catalog" });
    await waitFor(() => {
      expect(heading).toHaveFocus();
    });
  });

  it("shows the signed-in user and their organization in the header", async () => {
    const { user } = await renderApp("/runs");
    await user.click(screen.getByRole("button", { name: "Organization: Analytical Engines" }));
    const menu = await screen.findByRole("menu");
    expect(await within(menu).findByRole("menuitemradio", { name: /Analytical Engines/ })).toHaveAttribute(
      "aria-checked",
      "true",
    );
    expect(within(menu).getByRole("menuitemradio", { name: /Difference Ltd/ })).toHaveAttribute("aria-checked", "false");
    await user.keyboard("{Escape}");
    expect(screen.getByRole("button", { name: "Account: Ada Lovelace" })).toBeInTheDocument();
  });

  it("offers a skip link to the main content", async () => {
    await renderApp("/");
    expect(screen.getByRole("link", { name: "Skip to main content" })).toHaveAttribute("href", "#main");
    expect(screen.getByRole("main")).toHaveAttribute("id", "main");
  });

  it("opens the navigation as a menu on narrow screens and closes it after navigating", async () => {
    const { user, router } = await renderApp("/");
    await user.click(screen.getByRole("button", { name: "Open navigation menu" }));
    const dialog = await screen.findByRole("dialog", { name: "Navigation" });
    await user.click(within(dialog).getByRole("link", { name: "Schedules" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Schedules" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/schedules");
    await waitFor(() => {
      expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    });
  });
});
