/**
 * A TCP proxy to a test peer that can go mute: connections stay open, and nothing passes either
 * way — a namespace that stopped answering, which a refused or closed connection does not
 * show. `reset()` ends the connections it holds (what finally happens to a dead one) and
 * passes traffic again. Loopback only.
 */
import net from 'node:net';

export interface MuteProxy {
  port: number;
  mute(): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startMuteProxy(targetPort: number): Promise<MuteProxy> {
  let muted = false;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      open.add(from);
      from.on('data', (chunk) => { if (!muted) to.write(chunk); });
      from.on('error', () => undefined);
      from.on('close', () => { open.delete(from); to.destroy(); });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    mute: () => { muted = true; },
    reset: () => {
      for (const s of open) s.destroy();
      muted = false;
    },
    close: () => new Promise((resolve) => {
      for (const s of open) s.destroy();
      server.close(() => resolve());
    }),
  };
}
