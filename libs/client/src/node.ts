// @parley/client/node: what only Node has. A browser bundle imports `@parley/client` alone.
import WebSocket from 'ws';
import type { WebSocketFactory } from './stomp-transport';

export * from './index';
export { JsonFileStorage } from './node/json-file-storage';

/** WebSockets from the `ws` package, for Node versions without a global WebSocket (Node 20). */
export const nodeWebSocketFactory: WebSocketFactory = (url, protocols) => new WebSocket(url, protocols);
