import { ApiError } from "./client";

/** What an openapi-fetch call resolves to: `data` on success, `error` (the problem document) otherwise. */
type FetchResult<T> = { data?: T; error?: unknown; response: Response };

/**
 * The data of a successful API call, or its failure thrown as an ApiError. A 204 No Content answer
 * has no data and succeeds with undefined.
 */
export function unwrap<T>({ data, error, response }: FetchResult<T>): T {
  if (data !== undefined && data !== null) return data;
  if (response.ok && response.status === 204) return undefined as T;
  throw ApiError.from(response, error);
}
