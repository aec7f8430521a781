/**
 * The answer page's local twin: the same handler as the function URL's Lambda, on a port of its own under
 * `clinica dev` (--answers-port, default the backend's + 2; printed in the URL table). A fixed port keeps the
 * links in e-mails already in the outbox working after a restart. Each request is turned into the function URL's event shape, so
 * the page is exercised as on AWS. The reminders of the local stack put this address in their links.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { handleAnswerRequest, type FunctionUrlEvent } from '../lambdas/patient-answers.js';
import { listenOn } from './listen.js';
import type { DevComponent } from './stack.js';

const MAX_BODY = 8192;

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) resolve(undefined);
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export const patientAnswersComponent: DevComponent = {
  name: 'patient answers page',
  async start(ctx) {
    const server = createServer((req, res) => {
      void (async () => {
        const body = await readBody(req);
        const url = new URL(req.url ?? '/', 'http://local');
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        const event: FunctionUrlEvent = {
          rawQueryString: url.search.slice(1),
          headers,
          requestContext: { http: { method: req.method ?? 'GET' } },
          body: body === undefined ? 'x'.repeat(MAX_BODY) : body.toString('base64'),
          isBase64Encoded: body !== undefined,
        };
        const out = await handleAnswerRequest(event, { store: ctx.dataStore, config: ctx.config, log: ctx.log });
        res.writeHead(out.statusCode, out.headers).end(out.body);
      })().catch((err: Error) => {
        ctx.log.error(`answer page: ${err.message}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end();
      });
    });
    const { url, stop } = await listenOn(ctx, server, { what: 'answer page', port: ctx.answersPort, flag: '--answers-port' });
    ctx.endpoints.extra.answers = url;
    return { urls: [{ name: 'Patient answer page', url }], stop };
  },
};
