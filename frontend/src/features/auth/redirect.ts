import * as z from "zod/mini";

/**
 * A path inside this app to return to after signing in. Anything that could leave the origin
 * (`//host`, `/\host`, absolute URLs, whitespace or control characters) is rejected, so a crafted
 * link cannot turn the sign-in page into an open redirect.
 */
export const redirectPath = z.string().check(z.maxLength(2048), z.regex(/^\/(?![/\\])[^\\\s\p{Cc}]*$/u));

export const authSearchSchema = z.object({
  redirect: z.catch(z.optional(redirectPath), undefined),
});

export type AuthSearch = z.infer<typeof authSearchSchema>;
