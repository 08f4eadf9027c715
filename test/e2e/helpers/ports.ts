// Free loopback ports chosen by the kernel, so concurrent runs and restarts on a fixed port both work.

import { createServer } from 'node:net';

/** Binds port 0, reads the port the kernel gave, releases it. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
