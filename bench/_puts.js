// The import bench's baseline, run as a process of its own (as the CLI is): COUNT conditional PutObject calls of
// a record-sized JSON, CONCURRENCY at a time, through clinica's Store, into BUCKET of the local S3 at ENDPOINT.
// Prints the rate (PUT/s) on stdout.
import { s3Client } from '../dist/aws/clients.js';
import { localTarget } from '../dist/local/endpoints.js';
import { mapLimit } from '../dist/map-limit.js';
import { Store } from '../dist/store/store.js';

const [endpoint, bucket, count, concurrency] = process.argv.slice(2);
const store = new Store(await s3Client(localTarget({ s3: endpoint, ses: 'http://127.0.0.1:9', region: 'us-east-1' })), bucket);
const sample = { id: 'P-000000', fullName: 'Maria Silva Santos Import1', birthDate: '1951-02-02', phone: '+5511900010001', email: 'p1@example.com', alerts: [], status: 'active', consent: { emailReminders: false }, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(), version: 1 };
const t0 = performance.now();
await mapLimit(Array.from({ length: Number(count) }, (_, i) => i), Number(concurrency), (i) => store.putJson(`bench/put-${i}.json`, { ...sample, id: `P-${i}` }, { ifNoneMatch: '*' }));
console.log(Number(count) / ((performance.now() - t0) / 1000));
