import type { INestApplication } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { API_EXCLUDED } from '../../src/core/openapi/api-doc.js';

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean>; stack: { handle: { name: string } }[] };
}

/**
 * Every route the running application serves, as "METHOD /path": Express's own table,
 * after Nest's prefixes. Nest names each handler "Controller.method"; the unnamed layers
 * it adds for paths outside the global prefix only answer 404 for other methods.
 * `pages: false` leaves out the web pages (the API's routes only).
 */
export function routesOf(app: INestApplication, opts: { pages?: boolean } = {}): string[] {
  // The web pages' controllers (`@ApiExcluded()`), which are not the API, unless asked for.
  const pages = new Set(
    app
      .get(DiscoveryService)
      .getControllers()
      .filter((w) => w.metatype && Reflect.getMetadata(API_EXCLUDED, w.metatype))
      .map((w) => w.metatype!.name),
  );
  const wanted = (handler: string) => opts.pages !== false || !pages.has(handler.split('.')[0]);
  const express = app.getHttpAdapter().getInstance() as { router?: { stack: RouterLayer[] }; _router?: { stack: RouterLayer[] } };
  const stack = (express.router ?? express._router)?.stack ?? [];
  return stack
    .flatMap(({ route }) =>
      route && /^\w+Controller\.\w+$/.test(route.stack[0]?.handle.name ?? '') && wanted(route.stack[0].handle.name)
        ? Object.keys(route.methods)
            .filter((m) => m !== '_all')
            .map((m) => `${m.toUpperCase()} ${route.path}`)
        : [],
    )
    .sort();
}
