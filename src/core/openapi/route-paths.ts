import { RequestMethod } from '@nestjs/common';

/** A global prefix exclusion as Nest keeps it (ApplicationConfig): the path compiled to a regular expression. */
export interface PrefixExclusion {
  pathRegex: RegExp;
  requestMethod: RequestMethod;
}

export interface GlobalPrefix {
  prefix: string;
  exclude: readonly PrefixExclusion[];
}

const withLeadingSlash = (path: string) => (path.startsWith('/') ? path : `/${path}`);
const withoutEndSlash = (path: string) => (path.endsWith('/') ? path.slice(0, -1) : path);

/**
 * The paths a handler is served at, composed the way Nest's RoutePathFactory composes
 * them (controller path, method path, then the global prefix unless an exclusion matches);
 * RoutePathFactory itself is internal to Nest. Versioning and RouterModule paths are not
 * used by Sieve and not handled; the integration test compares the result with the
 * Express route table, so a difference would show.
 */
export function servedPaths(global: GlobalPrefix, method: RequestMethod, controllerPath: string | string[], methodPath: string | string[]): string[] {
  const controllers = Array.isArray(controllerPath) ? controllerPath : [controllerPath];
  const methods = Array.isArray(methodPath) ? methodPath : [methodPath];
  return controllers.flatMap((c) =>
    methods.map((m) => {
      const path = withLeadingSlash(withoutEndSlash(c) + withLeadingSlash(m));
      const excluded = global.exclude.some((e) => (e.requestMethod === RequestMethod.ALL || e.requestMethod === method) && e.pathRegex.test(path));
      const full = global.prefix && !excluded ? withLeadingSlash(withoutEndSlash(global.prefix)) + path : path;
      return full === '/' ? full : withoutEndSlash(full);
    }),
  );
}

/**
 * An Express path in OpenAPI form, with its parameters in order:
 * `/challenges/:slug/files/:role` → `/challenges/{slug}/files/{role}`, `[slug, role]`.
 * Wildcards and optional parts (`*rest`, `{/:x}`) have no OpenAPI equivalent: refused.
 */
export function toOpenApiPath(path: string): { path: string; params: string[] } {
  if (/[*{}()?+]/.test(path)) throw new Error(`route path ${path} uses a wildcard or an optional part, which OpenAPI cannot describe`);
  const params: string[] = [];
  const converted = path.replace(/:([A-Za-z_$][\w$]*)/g, (_, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  if (converted.includes(':')) throw new Error(`route path ${path} has a parameter without a valid name`);
  return { path: converted, params };
}
