/**
 * The image-processor Lambda's local twin: in `clinica dev`, the local S3 server's ObjectCreated events (with
 * AWS-style encoded keys) go to the same processor the Lambda runs, so an image uploaded by the staff page
 * gets its derivatives as it would on AWS. Events are handled one at a time, in arrival order; errors are
 * logged, never thrown (the S3 server must not notice).
 */
import { createImageProcessor } from '../lambdas/image-processor.js';
import type { DevComponent } from './stack.js';

export const imageProcessorComponent: DevComponent = {
  name: 'image-processor',
  async start(ctx) {
    const processEvent = createImageProcessor({ store: ctx.dataStore, config: ctx.config, log: ctx.log, bucket: ctx.config.names.dataBucket });
    let queue: Promise<void> = Promise.resolve();
    let stopped = false;
    const unsubscribe = ctx.s3.onEvent((record) => {
      if (stopped || record.s3.bucket.name !== ctx.config.names.dataBucket) return;
      if (!record.s3.object.key.includes('original.')) return; // cheap pre-filter; the processor decides
      queue = queue
        .then(() => processEvent({ Records: [record] }))
        .then(
          () => undefined,
          (err: Error) => ctx.log.error(`image-processor: ${record.s3.object.key}: ${err.message}`),
        );
    });
    return {
      async stop() {
        stopped = true;
        unsubscribe();
        await queue;
      },
    };
  },
};
