// Ports for the peers the tests start (nginx, HAProxy): a free one, and whether one accepts yet.
import { connect, createServer, type AddressInfo } from 'node:net';

/** A port the kernel just handed out on 127.0.0.1 (free when closed; a peer binds it next). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(0, '127.0.0.1', resolve); });
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Whether 127.0.0.1:port accepts a TCP connection now. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}
