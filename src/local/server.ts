/**
 * The staff backend's local twin: the same createBackend() as on EC2, on ctx.host:ctx.serverPort, against the
 * local data bucket. The staff page uploads originals straight to S3 with a presigned PUT, so the local data
 * bucket gets a CORS rule for the page's origin (as `clinica deploy` sets one on AWS).
 */
import { s3Sdk } from '../aws/clients.js';
import { openSesSender } from '../mail/ses.js';
import { createBackend, once } from '../server/app.js';
import { serverVersion } from '../server/version.js';
import type { DevComponent, DevContext } from './stack.js';

/** CORS on the local data bucket: the staff page (served by the backend) PUTs originals and GETs variants. */
export async function allowStaffPageOrigin(ctx: DevContext, origins: string[]): Promise<void> {
  const { PutBucketCorsCommand } = await s3Sdk();
  await ctx.dataStore.s3.send(
    new PutBucketCorsCommand({
      Bucket: ctx.dataStore.bucket,
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedOrigins: origins,
            AllowedMethods: ['GET', 'PUT', 'HEAD'],
            AllowedHeaders: ['*'],
            ExposeHeaders: ['ETag'],
            MaxAgeSeconds: 600,
          },
        ],
      },
    }),
  );
}

export const serverComponent: DevComponent = {
  name: 'staff backend',
  async start(ctx) {
    const backend = await createBackend({
      config: ctx.config,
      store: ctx.dataStore,
      log: ctx.log,
      version: serverVersion(),
      requestLogLevel: 'debug',
      // patients' change notices land in the local SES outbox, as reminders do
      openSender: once(async () => (await openSesSender(ctx.target, { sender: ctx.config.mail.sender, log: ctx.log, emulator: true })).sender),
    });
    const url = await backend.listen(ctx.serverPort, ctx.host);
    const port = new URL(url).port;
    await allowStaffPageOrigin(ctx, [url, `http://localhost:${port}`, `http://127.0.0.1:${port}`].filter((o, i, all) => all.indexOf(o) === i));
    ctx.endpoints.server = url;
    return {
      urls: [{ name: 'Staff page and API', url: `${url}/` }],
      stop: () => backend.close(2_000),
    };
  },
};
