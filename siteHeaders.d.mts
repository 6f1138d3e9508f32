// Types of siteHeaders.mjs (plain JavaScript, so that vite.config.ts and the Node harness share it without a build).
export const CONTENT_SECURITY_POLICY: string;
export const ISOLATION_HEADERS: Record<string, string>;
export function siteHeaders(options?: { isolated?: boolean }): Record<string, string>;
