/**
 * A tiny SES in front of the local one, for what the local SES never does: throttle, fail with 5xx, reject
 * an address. It answers SES's query protocol errors itself and forwards everything else unchanged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSesOptions {
  /** answer the first N SendRawEmail calls with 400 Throttling */
  throttleFirst?: number;
  /** then answer the next N with 503 ServiceUnavailable */
  failFirst?: number;
  /** recipients matching this get 400 MessageRejected */
  reject?: RegExp;
  /** the rejection's message (default "Address blacklisted: <to>") */
  rejectMessage?: (to: string) => string;
}

export interface FakeSes {
  endpoint: string;
  counts: { throttled: number; failed: number; rejected: number; forwarded: number };
  stop(): Promise<void>;
}

const errorXml = (code: string, message: string, type = 'Sender') =>
  `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>fake-${Date.now()}</RequestId></ErrorResponse>`;

export async function startFakeSes(upstream: string, options: FakeSesOptions): Promise<FakeSes> {
  const target = new URL(upstream);
  const counts = { throttled: 0, failed: 0, rejected: 0, forwarded: 0 };
  let throttle = options.throttleFirst ?? 0;
  let fail = options.failFirst ?? 0;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const form = new URLSearchParams(body.toString());
    const answer = (status: number, xml: string) => {
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(xml);
    };
    if (form.get('Action') === 'SendRawEmail') {
      const raw = Buffer.from(form.get('RawMessage.Data') ?? '', 'base64').toString();
      const to = /^To: (.*)$/m.exec(raw)?.[1] ?? '';
      if (throttle > 0) {
        throttle--;
        counts.throttled++;
        return answer(400, errorXml('Throttling', 'Maximum sending rate exceeded.'));
      }
      if (fail > 0) {
        fail--;
        counts.failed++;
        return answer(503, errorXml('ServiceUnavailable', 'Service is unavailable. Please try again later.', 'Receiver'));
      }
      if (options.reject?.test(to)) {
        counts.rejected++;
        return answer(400, errorXml('MessageRejected', options.rejectMessage?.(to) ?? `Address blacklisted: ${to}`));
      }
    }
    counts.forwarded++;
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => answer(502, errorXml('InternalFailure', 'upstream down', 'Receiver')));
    up.end(body);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    stop: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
