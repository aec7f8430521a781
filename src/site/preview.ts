/**
 * `clinica site preview`: serves a build from memory with the headers S3 would send. Pages are rebuilt on
 * every load (edit clinica.config.json, reload the browser); assets come from the last build. Local only:
 * it listens on 127.0.0.1 unless told otherwise.
 */
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { ClinicaError } from '../errors.js';
import { silentLog, type Log } from '../log.js';
import type { BuiltSite, SiteFile } from './build.js';
import { escapeHtml } from './render.js';

export interface PreviewOptions {
  build: () => Promise<BuiltSite>;
  host?: string;
  /** 0 = any free port */
  port?: number;
  log?: Log;
}

export interface PreviewServer {
  url: string;
  stop(): Promise<void>;
}

export async function startPreview(options: PreviewOptions): Promise<PreviewServer> {
  const log = options.log ?? silentLog;
  const host = options.host ?? '127.0.0.1';
  let last: BuiltSite = await options.build();

  const send = (res: http.ServerResponse, status: number, file: SiteFile, head: boolean) => {
    res.writeHead(status, {
      'content-type': file.contentType,
      'content-length': file.body.length,
      // pages are always fresh in preview; hashed assets keep their real header
      'cache-control': file.path.startsWith('assets/') ? file.cacheControl : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    res.end(head ? undefined : file.body);
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      let path: string;
      try {
        path = decodeURIComponent(new URL(req.url ?? '/', 'http://preview').pathname).replace(/^\/+/, '');
      } catch {
        res.writeHead(400).end();
        return;
      }
      if (path === '' || path.endsWith('/')) path += 'index.html';
      if (path.endsWith('.html')) {
        try {
          last = await options.build();
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          log.error(`site build failed: ${message}`);
          res.writeHead(500, { 'content-type': 'text/html; charset=utf-8' });
          res.end(`<!doctype html><meta charset="utf-8"><title>Build failed</title><pre>${escapeHtml(message)}</pre>`);
          return;
        }
      }
      const file = last.files.find((f) => f.path === path);
      if (file) return send(res, 200, file, req.method === 'HEAD');
      const notFound = last.files.find((f) => f.path === last.pages.notFound);
      if (notFound) return send(res, 404, notFound, req.method === 'HEAD');
      res.writeHead(404).end();
    })().catch((err: Error) => {
      log.error(`preview: ${err.message}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.listen(options.port ?? 0, host);
  try {
    await once(server, 'listening');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ClinicaError('unavailable', `cannot listen on ${host}:${options.port} for the site preview (${code})`, {
      hint: code === 'EADDRINUSE' ? 'another program uses that port: pick another one with --port' : undefined,
      cause: err,
    });
  }
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
