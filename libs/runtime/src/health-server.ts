import { createServer, type Server } from 'node:http';

/** `/healthz` and `/readyz` for a worker without an HTTP API of its own (the stack waits on readyz). */
export function startHealthServer(port: number): Server {
  const server = createServer((req, res) => {
    const ok = req.url === '/healthz' || req.url === '/readyz';
    res
      .writeHead(ok ? 200 : 404, { 'content-type': 'application/json' })
      .end(JSON.stringify({ status: ok ? 'ok' : 'not found' }));
  });
  server.listen(port, '127.0.0.1');
  return server;
}
