// A sample upstream for trying the gateway: answers every request with what it received (method, path and
// headers, so the Gatehouse-* identity headers show), as JSON. `node examples/upstream.mjs [port]` (default 3000).
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? process.env.PORT ?? 3000);
createServer((req, res) => {
  let size = 0;
  req.on('data', (chunk) => (size += chunk.length));
  req.on('end', () => {
    const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body_bytes: size }, null, 2);
    res.writeHead(200, { 'content-type': 'application/json' }).end(body + '\n');
  });
}).listen(port, '127.0.0.1', () => console.log(`upstream listening on http://127.0.0.1:${port}`));
