/** The S3 calls a client makes while a piece of code runs, recorded on the client's own middleware. */
import type { S3Client } from '@aws-sdk/client-s3';

export interface S3Call {
  /** the command's name, e.g. "GetObjectCommand" */
  command: string;
  key?: string;
  prefix?: string;
  ifNoneMatch?: string;
}

let recorders = 0;

/** Runs `fn`, recording every call `client` sends meanwhile (in the order they were sent). */
export async function recordS3Calls<T>(client: S3Client, fn: () => Promise<T>): Promise<{ result: T; calls: S3Call[] }> {
  const calls: S3Call[] = [];
  const name = `recordS3Calls-${++recorders}`;
  client.middlewareStack.add(
    (next, context) => (args) => {
      const input = args.input as { Key?: string; Prefix?: string; IfNoneMatch?: string };
      calls.push({ command: String(context.commandName), key: input.Key, prefix: input.Prefix, ifNoneMatch: input.IfNoneMatch });
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    return { result: await fn(), calls };
  } finally {
    client.middlewareStack.remove(name);
  }
}
