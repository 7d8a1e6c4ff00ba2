import type { INestApplication } from '@nestjs/common';

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean>; stack: { handle: { name: string } }[] };
}

/**
 * Every route the running application serves, as "METHOD /path": Express's own table,
 * after Nest's prefixes. Nest names each handler "Controller.method"; the unnamed layers
 * it adds for paths outside the global prefix only answer 404 for other methods.
 */
export function routesOf(app: INestApplication): string[] {
  const express = app.getHttpAdapter().getInstance() as { router?: { stack: RouterLayer[] }; _router?: { stack: RouterLayer[] } };
  const stack = (express.router ?? express._router)?.stack ?? [];
  return stack
    .flatMap(({ route }) =>
      route && /^\w+Controller\.\w+$/.test(route.stack[0]?.handle.name ?? '')
        ? Object.keys(route.methods)
            .filter((m) => m !== '_all')
            .map((m) => `${m.toUpperCase()} ${route.path}`)
        : [],
    )
    .sort();
}
