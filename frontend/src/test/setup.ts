import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
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

// Browsers resolve a relative Request URL against the document; Node's Request does not. The API
// client uses same-origin relative URLs (baseUrl ""), so give the tests the browser's behaviour.
const NodeRequest = globalThis.Request;
globalThis.Request = class extends NodeRequest {
  constructor(input: RequestInfo | URL, init?: RequestInit) {
    super(typeof input === "string" ? new URL(input, window.location.href) : input, init);
  }
};

installMatchMedia();
initI18n("en");

beforeAll(() => {
  server.listen({ onUnhandledRequest: "error" });
});

beforeEach(async () => {
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
