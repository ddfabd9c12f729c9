// Browsers resolve a relative Request URL against the document; Node's Request does not. The API
// client uses same-origin relative URLs (baseUrl ""), so give the tests the browser's behaviour.
const NodeRequest = globalThis.Request;
globalThis.Request = class extends NodeRequest {
  constructor(input: RequestInfo | URL, init?: RequestInit) {
    super(typeof input === "string" ? new URL(input, window.location.href) : input, init);
  }
};
