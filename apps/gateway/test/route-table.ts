// Test support: the HTTP routes a gateway node serves, read from its express router at test time, so
// the specs that must cover every route (authorisation matrix, body fuzzing) notice a new one.
import type { Server } from 'node:http';

export interface RouteEntry {
  readonly method: string;
  /** The express path, e.g. `/v1/conversations/:conversationId/messages`. */
  readonly path: string;
  /** `METHOD path`: the key of the specs' recipe maps. */
  readonly key: string;
}

interface Layer {
  readonly route?: { readonly path: string; readonly methods: Record<string, boolean> };
  readonly handle?: { readonly stack?: readonly Layer[] };
  /** Express 5 (router 2): the path a router or middleware was mounted at. */
  readonly rawPath?: string;
}

/** Every method and path routed by the express app behind `server` (mounted routers included). */
export function routesOf(server: Server): RouteEntry[] {
  const app = server.listeners('request')[0] as { router?: { stack: readonly Layer[] } } | undefined;
  if (!app?.router) throw new Error('the server has no express app (express 5 keeps it at app.router)');
  const routes: RouteEntry[] = [];
  const walk = (stack: readonly Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all')) {
          const path = prefix + layer.route.path;
          routes.push({ method: method.toUpperCase(), path, key: `${method.toUpperCase()} ${path}` });
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, prefix + (layer.rawPath === '/' ? '' : (layer.rawPath ?? '')));
      }
    }
  };
  walk(app.router.stack, '');
  return routes;
}

/** A route's path with its parameters filled in. */
export function fillPath(path: string, params: Readonly<Record<string, string>>): string {
  return path.replace(/:([A-Za-z]+)/g, (_match, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for :${name} in ${path}`);
    return encodeURIComponent(value);
  });
}
