// First: the API client captures Request when it is created.
import "./request";
import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { session } from "@/features/auth/auth";
import { initI18n, i18n } from "@/i18n";
import { installMatchMedia, resetMatchMedia } from "./media";
import { server } from "./server";

// jsdom lacks the layout APIs that Radix primitives call; they have nothing to do here.
const nothing = (): void => undefined;
globalThis.ResizeObserver = class {
  observe = nothing;
  unobserve = nothing;
  disconnect = nothing;
};
Element.prototype.scrollIntoView = nothing;
Element.prototype.hasPointerCapture = () => false;
Element.prototype.releasePointerCapture = nothing;
window.scrollTo = nothing;

installMatchMedia();
initI18n("en");
// Lazily loaded pages can take more than the default second to appear on a busy machine.
configure({ asyncUtilTimeout: 5_000 });

beforeAll(() => {
  server.listen({ onUnhandledRequest: "error" });
});

beforeEach(async () => {
  session.reset();
  localStorage.clear();
  resetMatchMedia();
  installMatchMedia();
  document.documentElement.className = "";
  await i18n.changeLanguage("en");
});

afterEach(() => {
  cleanup();
  server.resetHandlers();
});

afterAll(() => {
  server.close();
});
