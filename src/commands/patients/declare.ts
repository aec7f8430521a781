import type { Command } from 'commander';
import { lazy } from '../action.js';

const LEAVING_CARE_HELP =
  '\nA patient archived, made inactive or marked deceased gets no reminders: if future appointments (scheduled or\n' +
  'confirmed) would stay booked, they are listed and, on a terminal, you are asked whether to cancel them;\n' +
  'elsewhere say it with --cancel-appointments or --keep-appointments (without either: exit 2, nothing changed).\n' +
  'Past appointments are never touched.';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The flags for every patient field (add and update share them; update says what --alert does there). */
function fieldOptions(cmd: Command, alert = 'an allergy or clinical alert (repeat for more)'): Command {
  return cmd
    .option('--name <name>', 'full name')
    .option('--preferred-name <name>', 'preferred (social) name')
    .option('--cpf <cpf>', 'CPF, e.g. 123.456.789-09 (check digits verified; unique)')
    .option('--birth-date <date>', 'birth date, YYYY-MM-DD or DD/MM/YYYY')
    .option('--sex <sex>', 'female | male | other | unknown (F/M also accepted)')
    .option('--phone <phone>', 'phone, e.g. "+55 11 98765-4321"')
    .option('--email <email>', 'e-mail address')
    .option('--address <address>', 'postal address')
    .option('--guardian <name>', "guardian's name (for minors)")
    .option('--guardian-phone <phone>', "guardian's phone")
    .option('--guardian-cpf <cpf>', "guardian's CPF")
    .option('--guardian-relationship <text>', 'e.g. mãe, pai, tutor')
    .option('--alert <text>', alert, collect)
    .option('--notes <text>', 'notes')
    .option('--status <status>', 'active | inactive | archived | deceased')
    .option('--email-reminders <yes|no>', 'consent to e-mail reminders (recorded with time and who)')
    .option('--whatsapp-reminders <yes|no>', 'consent to WhatsApp reminders (recorded with time and who; needs --phone with area code)')
    .option('--language <pt-BR|en>', "language of the patient's reminders (default: the clinic's clinic.locale)");
}

export function declarePatients(program: Command): void {
  const patients = program
    .command('patients')
    .description('patient records: add, list (and --search), show, update, archive, import, export, anonymize, reindex');

  fieldOptions(patients.command('add').description('add a patient (prompts for missing required fields on a terminal)'))
    .option('--force', 'add even if the name + birth date is a stored patient\'s (one of them without a CPF), or the person matches one anonymized at their request')
    .action(lazy(() => import('./add.js')));
  patients
    .command('list')
    .description('list or search patients (reads the index, not every record)')
    .option('--search <text>', 'name, preferred name, CPF or phone; accents and case ignored ("joao" finds "João")')
    .option('--status <status>', 'active | inactive | archived | deceased | all (default: all but archived)')
    .option('--limit <n>', 'rows in the table (default 100; 0 = all); --json gives all')
    .action(lazy(() => import('./list.js')));
  patients
    .command('show')
    .description('the full record, its image count and its appointments (the read is audited)')
    .argument('<id>', 'patient id, e.g. P-000123')
    .action(lazy(() => import('./show.js')));
  fieldOptions(
    patients
      .command('update')
      .description('change fields of a patient (only the flags given); a concurrent change to the same fields is refused')
      .argument('<id>', 'patient id'),
    'REPLACES THE WHOLE LIST of alerts with these (repeat for more); refused when the patient has alerts, unless --replace-alerts',
  )
    .option('--add-alert <text>', 'add an allergy or clinical alert, keeping the others (repeatable)', collect)
    .option('--remove-alert <text>', 'take one alert out (case and accents ignored; repeatable)', collect)
    .option('--replace-alerts', 'with --alert: yes, replace all of the patient\'s alerts')
    .option('--clear <field>', 'clear an optional field (preferred-name, cpf, sex, phone, email, address, guardian, alerts, notes, language); repeatable', collect)
    .option('--if-match <etag>', 'write only if the record is still this version (the etag from `show --json`)')
    .option('--cancel-appointments', 'with --status archived|inactive|deceased: cancel the future appointments (reason and actor recorded)')
    .option('--keep-appointments', 'with --status archived|inactive|deceased: keep the future appointments booked')
    .addHelpText('after', LEAVING_CARE_HELP)
    .action(lazy(() => import('./update.js')));
  patients
    .command('archive')
    .description('archive a patient (hidden from lists; the record is kept)')
    .argument('<id>', 'patient id')
    .option('--cancel-appointments', 'cancel the future appointments (reason and actor recorded)')
    .option('--keep-appointments', 'keep the future appointments booked')
    .addHelpText('after', LEAVING_CARE_HELP)
    .action(lazy(() => import('./archive.js')));
  patients
    .command('reindex')
    .description('rebuild the patient index and the CPF claims from the records (repair; reads every record)')
    .addHelpText(
      'after',
      '\nRewrites the index that list/search read and writes the keyed claim of every CPF in a record. Safe to re-run.\n' +
        'Exit 3 when a CPF is in more than one record (each named, with the one that keeps it).',
    )
    .action(lazy(() => import('./reindex.js')));
  patients
    .command('import')
    .description('import patients from a CSV (pt-BR or English headers); bad rows go to a rejects CSV; re-running adds no duplicates')
    .argument('<file>', 'the CSV file')
    .option('--rejects <file>', 'where to write the rejected rows (default: <file>.rejects.csv)')
    .option('--dry-run', 'show what would be created, already stored or rejected (and why); write nothing')
    .addHelpText(
      'after',
      '\nColumns (any order; accents, case and punctuation ignored): nome|name, data de nascimento|birth date (required);\n' +
        'cpf, nome social|preferred name, sexo|sex, telefone|celular|phone, e-mail, endereço|address, responsável|guardian,\n' +
        'telefone do responsável|guardian phone, alergias|allergies (separated by | or ;), observações|notes, situação|status,\n' +
        'lembretes por e-mail|email reminders (sim/não), idioma|língua|language (pt-BR/português, en/english).\n' +
        'UTF-8 (BOM or not) or Windows-1252/Latin-1 (pt-BR Excel), detected. The rejects CSV is UTF-8 with a BOM.\n' +
        'On a terminal the plan is shown and confirmed before anything is written (--yes skips the question);\n' +
        'without one it is applied. --dry-run prints the plan (--json: create, existing, rejected by line).\n' +
        'Exit 3 if any row was rejected (or, with --dry-run, would be). See docs/patients.md.',
    )
    .action(lazy(() => import('./import.js')));
  patients
    .command('export')
    .description('everything held on one patient as JSON (LGPD access/portability): record, appointments, reminders, images, audit')
    .argument('<id>', 'patient id')
    .option('--out <dir>', 'write <dir>/<id>.json and download the images into <dir>/images/ (default: JSON on stdout with 15-minute links)')
    .action(lazy(() => import('./export.js')));
  patients
    .command('anonymize')
    .description('LGPD erasure: replace identifiers, keep clinical content; --purge deletes record and images')
    .argument('<id>', 'patient id')
    .option('--purge', 'delete the record, images, appointments and reminders (typed confirmation, or --yes)')
    .option('--force', 'with --purge: even inside the retention period (patients.retentionYears from the last entry; Lei 13.787/2018)')
    .action(lazy(() => import('./anonymize.js')));
}
