import type { Command } from 'commander';
import { lazy, portNumber } from '../action.js';

export function declareDev(program: Command): void {
  program
    .command('dev')
    .description('run the whole clinic on this machine: local S3 and SES, the backend, the Lambdas, the site')
    .option('--demo', 'seed synthetic demo data (fake patients, appointments, images) and a demo admin (its e-mail and password are printed)')
    .option('--exit', 'start, seed (with --demo), print the summary and exit — for scripts and CI')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--s3-port <port>', 'local S3 port (0 = any free port)', portNumber, 4568)
    .option('--ses-port <port>', 'local SES / outbox port (0 = any free port)', portNumber, 8005)
    .option('--port <port>', 'staff backend port (default: network.serverPort, 8080; 0 = any free port)', portNumber)
    .option('--answers-port <port>', "patients' answer page port (default: the backend's port + 2, 8082; 0 = any free port)", portNumber)
    .option('--whatsapp-port <port>', "WhatsApp outbox page port (default: the backend's port + 3, 8083, or any free one if taken; 0 = any free port)", portNumber)
    .option('--reset', 'delete the local data under .clinica/dev before starting')
    .action(lazy(() => import('./run.js')));
}
