// Tools the benches drive (wrk, nginx) are installed with apt-get when
// missing: CI machines start fresh, and the benches run there as root.
import { existsSync } from 'node:fs';
import { runCaptured, which } from './proc.js';

// Debian puts daemons in /usr/sbin, which a non-login PATH may lack.
const ExtraDirs = ['/usr/sbin', '/sbin'];

/** Absolute path of command on PATH or in /usr/sbin and /sbin, or undefined. */
export function findCommand(command: string): string | undefined {
  const found = which(command);
  if (found !== undefined) return found;
  return ExtraDirs.map((dir) => `${dir}/${command}`).find((candidate) => existsSync(candidate));
}

/** Absolute path of command, installing the Debian package aptPackage first when it is missing. */
export async function ensureCommand(command: string, aptPackage: string, homepage: string): Promise<string> {
  const present = findCommand(command);
  if (present !== undefined) return present;
  if (which('apt-get') === undefined) {
    throw new Error(`${command} is not installed and apt-get is not available: install ${command} (${homepage}) and rerun`);
  }
  if (process.getuid?.() !== 0) {
    throw new Error(`${command} is not installed and installing it needs root: run \`sudo apt-get install -y ${aptPackage}\` and rerun`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const aptGet = async (args: string[]): Promise<boolean> => {
    process.stderr.write(`bench: ${command} missing, running apt-get ${args.join(' ')}\n`);
    const res = await runCaptured('apt-get', args, { env, timeoutMs: 10 * 60_000 });
    if (res.code !== 0) process.stderr.write(res.stdout.slice(-2_000) + res.stderr.slice(-2_000));
    return res.code === 0;
  };
  // A fresh machine may have no package lists yet; update only when needed.
  const installed =
    (await aptGet(['install', '-y', aptPackage])) || ((await aptGet(['update'])) && (await aptGet(['install', '-y', aptPackage])));
  const path = findCommand(command);
  if (!installed || path === undefined) throw new Error(`could not install ${command} with apt-get (see the output above)`);
  return path;
}
