import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { renderApp } from "@/test/render";

describe("sign-in and sign-up", () => {
  it("says that sign-in is not in this build and offers no form", async () => {
    await renderApp("/sign-in");
    expect(screen.getByRole("heading", { level: 1, name: "Sign in" })).toBeInTheDocument();
    expect(screen.getByText(/Sign-in arrives with the identity feature/)).toBeInTheDocument();
    expect(screen.queryByRole("textbox")).not.toBeInTheDocument();
    expect(screen.queryByLabelText(/password/i)).not.toBeInTheDocument();
    expect(screen.queryByRole("navigation", { name: "Main" })).not.toBeInTheDocument();
  });

  it("says that sign-up is not in this build", async () => {
    await renderApp("/sign-up");
    expect(screen.getByRole("heading", { level: 1, name: "Create an account" })).toBeInTheDocument();
    expect(screen.getByText(/Creating accounts arrives with the identity feature/)).toBeInTheDocument();
  });

  it("leads back to the page the visitor came from", async () => {
    const { user, router } = await renderApp("/sign-in?redirect=%2Fruns");
    const back = screen.getByRole("link", { name: "Back to Datanika" });
    expect(back).toHaveAttribute("href", "/runs");
    await user.click(back);
    expect(await screen.findByRole("heading", { level: 1, name: "Runs" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/runs");
  });

  it("never leads off the site", async () => {
    await renderApp("/sign-in?redirect=%2F%2Fevil.example");
    expect(screen.getByRole("link", { name: "Back to Datanika" })).toHaveAttribute("href", "/");
  });
});
