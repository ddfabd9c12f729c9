import { notFound } from "@tanstack/react-router";

/**
 * The parse and stringify of a `$name` path parameter that is a positive integer (an id). Anything
 * else (`0`, `-1`, `1.5`, `abc`, a number too large to be exact) is not a page: the router shows
 * its not-found page.
 */
export function positiveIntParam<const Name extends string>(name: Name) {
  return {
    parse: (params: Record<Name, string>): Record<Name, number> => {
      const raw = params[name];
      const id = Number(raw);
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- TanStack Router's not-found protocol
      if (!/^\d+$/.test(raw) || !Number.isSafeInteger(id) || id < 1) throw notFound();
      return { [name]: id } as Record<Name, number>;
    },
    stringify: (params: Record<Name, number>): Record<Name, string> => ({ [name]: String(params[name]) }) as Record<Name, string>,
  };
}
