// Small HTTP helpers shared by the local provider, the demo server and the demo API.
import { readFile } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

/**
 * Listens on a loopback address only. For "localhost" it listens on 127.0.0.1 and,
 * when available, on [::1] too, because browsers and Node may resolve localhost to either.
 * `tls`: the server is an HTTPS one with this certificate (the [::1] one gets it too).
 * @returns {Promise<number>} the bound port
 */
export async function listenLoopback(server, port, host = '127.0.0.1', tls = undefined) {
  // Names under .localhost are loopback (RFC 6761 §6.3): browsers resolve them so without a hosts file.
  const loopbackName = host === 'localhost' || host.endsWith('.localhost');
  const first = loopbackName || host === '127.0.0.1' ? '127.0.0.1' : host;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, first, () => { server.off('error', reject); resolve(); });
  });
  const bound = server.address().port;
  if (loopbackName) {
    // A second server object shares the handler on ::1; failure (no IPv6) is fine.
    const { createServer } = await import(tls ? 'node:https' : 'node:http');
    const v6 = tls ? createServer(tls, (req, res) => server.emit('request', req, res)) : createServer((req, res) => server.emit('request', req, res));
    await new Promise((resolve) => {
      v6.once('error', () => resolve());
      v6.listen(bound, '::1', () => resolve());
    });
    server.once('close', () => v6.close());
    const closeAll = server.closeAllConnections?.bind(server);
    server.closeAllConnections = () => { closeAll?.(); v6.closeAllConnections?.(); };
  }
  return bound;
}

/** Reads a request body as text, refusing bodies over `limit` bytes. */
export async function readBody(req, limit) {
  if (req.body !== undefined) return String(req.body);
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function sendHtml(res, status, html, headers = {}) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(html);
}

export function sendJson(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * Serves a file from one of `roots` ({ prefix: dir }), or returns false.
 * Paths are normalised and must stay inside their root.
 */
export async function serveStatic(req, res, pathname, roots, headers = {}) {
  for (const [prefix, dir] of Object.entries(roots)) {
    if (!pathname.startsWith(prefix)) continue;
    let rel = decodeURIComponent(pathname.slice(prefix.length));
    if (rel === '' || rel.endsWith('/')) rel += 'index.html';
    const base = resolve(dir);
    const file = resolve(join(base, rel));
    if (!file.startsWith(base + sep)) continue;
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache', ...headers });
      res.end(body);
      return true;
    } catch {
      // try the next root
    }
  }
  return false;
}
