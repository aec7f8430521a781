import { Option, type Command } from 'commander';
import { lazy } from '../action.js';

export function declareInit(program: Command): void {
  program
    .command('init')
    .description('write clinica.config.json (asks on a terminal; flags for everything; --yes takes defaults)')
    .option('--name <name>', "the clinic's name")
    .option('--address <address>', "the clinic's street address")
    .option('--phone <phone>', 'phone number shown to patients')
    .option('--email <email>', 'public contact e-mail')
    .option('--sender <address>', 'e-mail sender for reminders, "x@y" or "Name <x@y>", of the clinic\'s own domain (SES verifies it on AWS); none: no reminders until mail.sender is set')
    .option('--time-zone <iana>', 'IANA time zone', undefined)
    .addOption(new Option('--locale <locale>', 'language of patient-facing text and the staff page').choices(['pt-BR', 'en']))
    .addOption(new Option('--target <target>', 'where clinica runs').choices(['local', 'aws']))
    .option('--bucket-prefix <prefix>', 'prefix of the S3 bucket names (they must be globally unique on AWS)')
    .option('--clinic-cidr <cidr...>', "the network(s) allowed to reach the backend and staff page: on target aws the clinic's public address as AWS sees it, e.g. 203.0.113.10/32 (a private range only over a VPN into the VPC); locally the clinic's LAN, e.g. 192.168.1.0/24")
    .option('--domain <name>', "target aws: the staff page's name, e.g. sistema.clinicasorriso.com.br (served over HTTPS with a Let's Encrypt certificate; deploy prints the NS records to set at the registrar)")
    .option('--site-domain <name>', 'target aws: the public site\'s name on CloudFront, e.g. www.clinicasorriso.com.br (default: its *.cloudfront.net name)')
    .option('--watermark <text>', 'watermark on shared images ({clinic}, {patient}, {date} are replaced)')
    .option('--force', 'overwrite an existing config file (a broken one keeps its valid settings)')
    .addHelpText(
      'after',
      '\nThe stage and the AWS region it asks for are set with the global options -s, --stage <name> and\n--region <region> (written before or after `init`; see `clinica --help`).',
    )
    .action(lazy(() => import('./run.js')));
}
