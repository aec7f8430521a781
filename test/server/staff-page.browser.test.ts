/**
 * The staff page in headless Chromium (Debian's, driven by playwright-core) against the dev stack's backend
 * and image processor: log in with the demo admin token, search a patient, open them, book an appointment,
 * upload images (file picker and drag and drop) and see the thumbnails, open one, the agenda, English.
 * Each test opens its own browser context (fresh storage, its own login) and makes the patients and
 * appointments it changes, so the tests pass in any order (`--sequence.shuffle`); the demo data and the
 * patient made in beforeAll are only read. Screenshots go to test-artifacts/ (gitignored).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateCpf } from '../../src/clinic/cpf.js';
import { listImages } from '../../src/clinic/images.js';
import { createAppointment, getAppointment } from '../../src/clinic/appointments.js';
import { addDentist } from '../../src/clinic/dentists.js';
import { anonymizePatient } from '../../src/clinic/lgpd.js';
import { createPatient, getPatient, listPatients, updatePatient } from '../../src/clinic/patients.js';
import { addStaff, setPassword } from '../../src/clinic/staff.js';
import { DEMO_STAFF_FILE } from '../../src/local/demo-staff.js';
import { holdAnswers } from '../helpers/chromium.js';
import { useTestStack, type TestStack } from '../helpers/stack.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');

let stack: TestStack;
let browser: Browser;
let token: string;
let demoAdmin: { email: string; password: string };
let url: string;
/** The dentists the tests book with (exact names: "Dra. Ana Souza" and "Dra. Ana Beatriz Souza" are two). */
const TEST_DENTISTS = ['Dra. Ana Souza', 'Dra. Ana Beatriz Souza', 'Dr. João Pedro Albuquerque', 'Dr. Clique Duplo', 'Dr. Teclado', 'Dra. Cancela', 'Dra. Confirma', 'Dra. Despedida', 'Dra. Estreita', 'Dra. Ontem', 'Dra. Plural', 'Dra. Remarca'];
const consoleErrors: string[] = [];

function clinicDate(days: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Sao_Paulo', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(Date.now() + days * 86_400_000));
}

const shot = (name: string, on: Page) => on.screenshot({ path: join(ARTIFACTS, `staff-${name}.png`), fullPage: true });

interface PageOptions {
  viewport?: { width: number; height: number };
  /** errors in the browser's console and native dialogs count as failures too (a test that provokes none) */
  strict?: boolean;
}

/** A new browser context (fresh storage), not logged in; errors thrown by the page's script are failures. */
async function newPage(options: PageOptions = {}): Promise<Page> {
  const p = await browser.newPage({ viewport: options.viewport ?? { width: 1280, height: 860 }, locale: 'pt-BR' });
  p.on('pageerror', (e) => consoleErrors.push(e.message));
  if (options.strict) {
    // refused requests the test provokes (a wrong token, a bad CPF) are logged by the browser as 4xx: expected
    p.on('console', (m) => m.type() === 'error' && !/status of 4\d\d/.test(m.text()) && consoleErrors.push(m.text()));
    p.on('dialog', (d) => {
      consoleErrors.push(`a native dialog: ${d.message()}`); // the page asks in its own dialogs
      void d.dismiss();
    });
  }
  return p;
}

/** Signs in on the page's sign-in form (a demo account: on target local no second factor) and waits for the agenda. */
async function signIn(p: Page, who: { email: string; password: string } = demoAdmin): Promise<void> {
  await p.fill('#login-email', who.email);
  await p.fill('#login-password', who.password);
  await p.click('#login-form button[type=submit]');
  await p.waitForSelector('#view-agenda:not([hidden])');
}

/**
 * A new browser context on the page, signed in as the demo admin (or `as`), on the agenda. With `clock`, the
 * page's time is paused once signed in: timers fire only in `p.clock.runFor`.
 */
async function loggedInPage(options: PageOptions & { clock?: boolean; as?: { email: string; password: string } } = {}): Promise<Page> {
  const p = await newPage(options);
  if (options.clock) await p.clock.install();
  await p.goto(`${url}/`);
  await signIn(p, options.as);
  if (options.clock) await p.clock.pauseAt(Date.now() + 1_000); // from here, the page's timers fire only when the test says
  return p;
}

/** A patient of the test's own (the clinic code, as the CLI would add them). */
const ownPatient = (fullName: string, birthDate = '1985-01-15') => createPatient(stack.dataStore, { fullName, birthDate }, 'test:setup');

/** Opens a patient's record on the page. */
async function openRecord(p: Page, patient: { id: string; fullName: string }): Promise<void> {
  await p.goto(`${url}/#/patients/${patient.id}`);
  await p.locator('#patient-name', { hasText: patient.fullName }).waitFor();
}

/** Opens the booking dialog from the record on screen and fills it in (not sent). */
async function fillBooking(p: Page, b: { date: string; time: string; durationMinutes: string; dentist: string }): Promise<void> {
  await p.click('#patient-book');
  await p.waitForSelector('#book-dialog[open]');
  await p.fill('#book-form input[name=date]', b.date);
  await p.fill('#book-form input[name=time]', b.time);
  await p.fill('#book-form input[name=durationMinutes]', b.durationMinutes);
  await p.fill('#book-form input[name=dentist]', b.dentist);
}

const smallJpeg = () => sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 180, g: 160, b: 140 } } }).jpeg().toBuffer();

/** Announces an upload through the API, as the page does; the presigned PUT is the caller's. */
async function announce(patientId: string, fileName: string) {
  const r = await fetch(`${url}/api/patients/${patientId}/images`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ fileName, contentType: 'image/jpeg' }),
  });
  return (await r.json()) as { image: { id: string }; upload: { url: string; headers: Record<string, string> } };
}

/** Holds the page's POSTs to `path` (a slow link) until the test calls `release`; counts them. */
async function holdPosts(p: Page, path: string) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const held = { posts: 0, release };
  await p.route(path, async (r) => {
    if (r.request().method() === 'POST') {
      held.posts++;
      await released;
    }
    await r.continue();
  });
  return held;
}

describe.skipIf(!existsSync(CHROMIUM))('staff page in Chromium', () => {
  stack = useTestStack({ withComponents: true });
  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    await stack.seedDemo();
    // the demo records dentists, and a clinic with dentists books only recorded ones: record the tests' own
    for (const name of TEST_DENTISTS) await addDentist(stack.dataStore, { name }, 'test:setup');
    const saved = JSON.parse(await readFile(join(stack.dir, DEMO_STAFF_FILE), 'utf8')) as { token: string; email: string; password: string };
    token = saved.token; // for the test's own API calls
    demoAdmin = { email: saved.email, password: saved.password };
    url = stack.endpoints.server!;
    // the demo patients (if the patients seeder ran), plus ours
    const demo = 'Beatriz Demonstração Teste';
    if (!(await listPatients(stack.dataStore, { search: 'beatriz demonstracao' })).length) {
      await createPatient(stack.dataStore, { fullName: demo, birthDate: '1988-04-12', cpf: generateCpf(777001), phone: '+55 11 91234-5678', alerts: ['Alergia a penicilina'], emailReminders: true }, 'test:setup');
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 90_000);

  // what a test's pages logged as errors (their script's exceptions; for strict pages the console and native dialogs)
  afterEach(() => {
    const logged = consoleErrors.splice(0);
    expect(logged).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('signs in as the demo admin (a wrong password is refused)', async () => {
    const p = await newPage({ strict: true });
    await p.goto(`${url}/`);
    await expect(p.locator('#view-login h1').textContent()).resolves.toBe('Acesso da equipe');
    await shot('1-login', p);
    await p.fill('#login-email', demoAdmin.email);
    await p.fill('#login-password', 'nope nope nope');
    await p.click('#login-form button[type=submit]');
    await p.waitForSelector('#login-error:not([hidden])');
    expect(await p.textContent('#login-error')).toContain('E-mail ou senha incorretos');
    await signIn(p);
    expect(await p.textContent('#who')).toContain('Demo Admin');
    await shot('1b-today', p);
    await p.close();
  });

  it('adds a patient (a bad CPF is named and focused), then edits the record with the ETag of the creation (no read between)', async () => {
    const p = await loggedInPage({ strict: true });
    const requests: { method: string; path: string; ifMatch?: string }[] = [];
    const seen = (r: Request) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/api/patients')) requests.push({ method: r.method(), path, ifMatch: r.headers()['if-match'] });
    };
    p.on('request', seen);
    await p.click('#tabs a[data-tab=patients]');
    await p.waitForSelector('#view-patients:not([hidden])');
    await p.click('#patient-add');
    await p.waitForSelector('#patient-dialog[open]');
    await p.fill('#patient-form input[name=fullName]', 'Carla Nova Paciente');
    await p.fill('#patient-form input[name=birthDate]', '1992-02-02');
    await p.fill('#patient-form input[name=cpf]', '123.456.789-00');
    await p.click('#patient-form button[type=submit]');
    await p.waitForSelector('#patient-form-error:not([hidden])');
    expect(await p.textContent('#patient-form-error')).toContain('CPF');
    expect(await p.getAttribute('#patient-form input[name=cpf]', 'aria-invalid')).toBe('true');
    await p.fill('#patient-form input[name=cpf]', generateCpf(777002));
    await p.fill('#patient-form input[name=phone]', '+55 11 95555-0101');
    expect(await p.textContent('#patient-form select[name=language] option[value=""]')).toBe('Padrão da clínica');
    await p.selectOption('#patient-form select[name=language]', 'en');
    await p.fill('#patient-form input[name=newAlert]', 'Diabetes'); // typed, not added with the button: saving takes it
    const createdAnswer = p.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/patients' && r.status() === 201);
    await p.click('#patient-form button[type=submit]');
    const createdEtag = (await createdAnswer).headers().etag;
    expect(createdEtag).toBeTruthy();
    await p.locator('#patient-name', { hasText: 'Carla Nova Paciente' }).waitFor();
    await p.locator('#patient-alerts', { hasText: 'Diabetes' }).waitFor();
    await p.locator('#patient-facts', { hasText: 'Idioma dos lembretes' }).waitFor();
    expect(await p.textContent('#patient-facts')).toContain('English');
    await p.click('#patient-edit');
    await p.waitForSelector('#patient-dialog[open]');
    expect(await p.inputValue('#patient-form select[name=language]')).toBe('en');
    await p.selectOption('#patient-form select[name=language]', ''); // back to the clinic's language: cleared
    await p.fill('#patient-form input[name=newAlert]', 'Hipertensão');
    await p.click('#alert-add');
    await p.click('#patient-form button[type=submit]');
    await p.locator('#patient-alerts', { hasText: 'Diabetes, Hipertensão' }).waitFor();
    expect(await p.textContent('#patient-facts')).not.toContain('Idioma dos lembretes');
    p.off('request', seen);
    // the page opened the new record from the create's answer: the edit went with that ETag, nothing read first
    const id = (await p.textContent('#patient-sub'))!.split(' · ')[0]!;
    const edit = requests.findIndex((r) => r.method === 'PATCH');
    expect(requests[edit]).toEqual({ method: 'PATCH', path: `/api/patients/${id}`, ifMatch: createdEtag });
    expect(requests.slice(0, edit).filter((r) => r.method === 'GET' && r.path === `/api/patients/${id}`)).toEqual([]);
    await p.close();
  });

  it('searches a patient without accents and opens the record', async () => {
    const p = await loggedInPage({ strict: true });
    await p.click('#tabs a[data-tab=patients]');
    await p.waitForSelector('#view-patients:not([hidden])');
    await p.fill('#search', 'beatriz demonstracao');
    const row = p.locator('#patients-table tbody tr', { hasText: 'Beatriz Demonstração Teste' });
    await row.waitFor();
    await p.locator('#patients-count', { hasText: /^1 paciente/ }).waitFor();
    expect(await row.textContent()).toContain('***.');
    await shot('2-search', p);
    await row.locator('a').click();
    await p.waitForSelector('#view-patient:not([hidden])');
    expect(await p.textContent('#patient-name')).toBe('Beatriz Demonstração Teste');
    expect(await p.textContent('#patient-alerts')).toContain('penicilina');
    await p.close();
  });

  it('books an appointment for the patient', async () => {
    const p = await loggedInPage({ strict: true });
    await openRecord(p, await ownPatient('Paciente Agenda Nova'));
    await fillBooking(p, { date: clinicDate(4), time: '10:30', durationMinutes: '40', dentist: 'Dra. Ana Souza' });
    await p.fill('#book-form input[name=procedure]', 'Avaliação');
    await p.click('#book-form button[type=submit]');
    await p.locator('#book-dialog').waitFor({ state: 'hidden' });
    await p.locator('#patient-appts li', { hasText: 'Dra. Ana Souza' }).waitFor();
    expect(await p.textContent('#patient-appts')).toContain('agendada');
    await p.close();
  });

  it('explains an overlapping booking in Portuguese, naming the dentist and the time', async () => {
    const first = await ownPatient('Paciente Horário Tomado');
    await createAppointment(stack.dataStore, { patientId: first.id, dentist: 'Dra. Ana Souza', at: `${clinicDate(2)} 10:30`, durationMinutes: 40 }, 'test:setup', { timeZone: 'America/Sao_Paulo' });
    const p = await loggedInPage({ strict: true });
    await openRecord(p, await ownPatient('Paciente Encaixe'));
    await fillBooking(p, { date: clinicDate(2), time: '10:45', durationMinutes: '30', dentist: 'Dra. Ana Souza' });
    await p.click('#book-form button[type=submit]');
    await p.waitForSelector('#book-form-error:not([hidden])');
    const [y, m, d] = clinicDate(2).split('-');
    expect(await p.textContent('#book-form-error')).toBe(`Dra. Ana Souza já tem consulta em ${d}/${m}/${y}, das 10:30 às 11:10. Escolha outro horário ou marque o encaixe.`);
    await shot('2b-overlap', p);
    await p.click('#book-dialog [data-close]');
    await p.close();
  });

  it('keeps the typed values on an edit conflict, loads the new version and saves on the second try', async () => {
    const p = await loggedInPage({ strict: true });
    await openRecord(p, await ownPatient('Paciente Conflito'));
    await p.click('#patient-edit');
    await p.waitForSelector('#patient-dialog[open]');
    const id = (await p.textContent('#patient-sub'))!.split(' · ')[0]!;
    await updatePatient(stack.dataStore, id, { phone: '+55 11 90000-1111' }, 'test:colleague');
    await p.fill('#patient-form textarea[name=notes], #patient-form input[name=notes]', 'Prefere horários pela manhã');
    await p.click('#patient-form button[type=submit]');
    await p.locator('#patient-form-error', { hasText: 'Outra pessoa alterou esta ficha' }).waitFor();
    expect(await p.isVisible('#patient-dialog')).toBe(true);
    expect(await p.inputValue('#patient-form [name=notes]')).toBe('Prefere horários pela manhã');
    expect(await p.inputValue('#patient-form input[name=phone]')).toBe('(11) 90000-1111'); // the colleague's change shows
    expect(await p.textContent('#patient-form-error')).toContain('Telefone');
    await shot('2c-conflict', p);
    await p.click('#patient-form button[type=submit]');
    await p.locator('#patient-dialog').waitFor({ state: 'hidden' });
    await p.locator('#patient-facts', { hasText: 'Prefere horários pela manhã' }).waitFor();
    expect(await p.textContent('#patient-facts')).toContain('(11) 90000-1111');
    await p.close();
  });

  it('uploads images (file picker and drag and drop) and shows their thumbnails when processed', async () => {
    const p = await loggedInPage({ strict: true });
    await openRecord(p, await ownPatient('Paciente Imagens'));
    const jpeg = await sharp({ create: { width: 1600, height: 1000, channels: 3, background: { r: 236, g: 226, b: 208 } } })
      .composite([{ input: Buffer.from('<svg width="1600" height="1000"><rect x="500" y="250" width="600" height="500" rx="120" fill="#f8f5ee" stroke="#b9a98c" stroke-width="14"/></svg>') }])
      .jpeg()
      .toBuffer();
    await p.setInputFiles('#file-input', { name: 'intraoral-frontal.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    const png = await sharp({ create: { width: 900, height: 600, channels: 3, background: { r: 40, g: 44, b: 52 } } })
      .composite([{ input: Buffer.from('<svg width="900" height="600"><ellipse cx="450" cy="300" rx="330" ry="190" fill="#c9ced6"/></svg>') }])
      .png()
      .toBuffer();
    await p.evaluate(
      ({ bytes }) => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(bytes)], 'panoramica.png', { type: 'image/png' }));
        document.querySelector('#dropzone')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      { bytes: [...png] },
    );
    await p.waitForFunction(() => document.querySelectorAll('#thumbs li[data-status=ready] img').length === 2, undefined, { timeout: 30_000 });
    await p.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('#thumbs img')].every((i) => i.complete && i.naturalWidth > 0));
    await p.waitForFunction(() => document.querySelectorAll('#uploads li').length === 0); // progress rows go once processed
    await shot('3-patient', p);
    await p.click('#thumbs li[data-status=ready] button');
    await p.waitForSelector('#image-dialog[open]');
    await p.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('#image-full');
      return Boolean(img && img.complete && img.naturalWidth > 0);
    });
    await shot('4-image', p);
    await p.click('#image-dialog [data-close]');
    await p.close();
  });

  it('uploads a radiograph with its teeth and date (a tooth outside FDI is refused first), and shows a failed image\'s reason in Portuguese', async () => {
    const p = await loggedInPage({ strict: true });
    await openRecord(p, await ownPatient('Paciente Radiografia'));
    const id = (await p.textContent('#patient-sub'))!.split(' · ')[0]!;
    const gray = await sharp({ create: { width: 800, height: 500, channels: 3, background: { r: 90, g: 90, b: 90 } } }).jpeg().toBuffer();
    await p.selectOption('#upload-kind', 'radiograph');
    await p.fill('#upload-taken', clinicDate(-1));
    await p.fill('#upload-teeth', '11, 19');
    await p.setInputFiles('#file-input', { name: 'periapical.jpg', mimeType: 'image/jpeg', buffer: gray });
    await p.locator('#upload-error', { hasText: 'Dente “19” não existe' }).waitFor();
    expect(await p.evaluate(() => document.activeElement?.id)).toBe('upload-teeth');
    await p.fill('#upload-teeth', '21 11');
    await p.setInputFiles('#file-input', { name: 'periapical.jpg', mimeType: 'image/jpeg', buffer: gray });
    await p.locator('#thumbs li[data-status=ready] .cap', { hasText: 'Radiografia' }).waitFor({ timeout: 30_000 });
    const images = await listImages(stack.dataStore, id);
    const radiograph = images.find((i) => i.record?.original.fileName === 'periapical.jpg')!;
    expect(radiograph.record).toMatchObject({ kind: 'radiograph', teeth: [11, 21], takenAt: clinicDate(-1) });
    // a truncated file: the processor's reason comes back as a code the page words in Portuguese
    await p.fill('#upload-teeth', '');
    await p.setInputFiles('#file-input', { name: 'cortada.jpg', mimeType: 'image/jpeg', buffer: gray.subarray(0, Math.floor(gray.length / 2)) });
    const failed = p.locator('#thumbs li[data-status=failed]');
    await failed.waitFor({ timeout: 30_000 });
    expect(await failed.textContent()).toContain('falhou: o arquivo JPEG está incompleto');
    await shot('3b-radiograph', p);
    await p.close();
  });

  it('shows the day\'s agenda with the booking, and confirms it', async () => {
    const beatriz = (await listPatients(stack.dataStore, { search: 'beatriz demonstracao' }))[0]!;
    await createAppointment(stack.dataStore, { patientId: beatriz.id, dentist: 'Dra. Confirma', at: `${clinicDate(2)} 10:30`, durationMinutes: 40 }, 'test:setup', { timeZone: 'America/Sao_Paulo' });
    const p = await loggedInPage({ strict: true });
    await p.goto(`${url}/#/agenda?date=${clinicDate(2)}`);
    const appt = p.locator('.appt', { hasText: 'Beatriz Demonstração Teste' });
    await appt.waitFor();
    expect(await appt.textContent()).toContain('10:30');
    await appt.locator('button', { hasText: 'Confirmar' }).click();
    await p.locator('.appt .badge.confirmed').waitFor();
    await shot('5-agenda', p);
    await p.close();
  });

  it('keyboard and navigation: a result clicked while the search is pending opens, Back closes an open dialog, the date field is named in Portuguese, the file picker shows focus', async () => {
    const beatriz = (await listPatients(stack.dataStore, { search: 'beatriz demonstracao' }))[0]!;
    await createAppointment(stack.dataStore, { patientId: beatriz.id, dentist: 'Dr. Teclado', at: `${clinicDate(10)} 16:00`, durationMinutes: 30 }, 'test:setup', { timeZone: 'America/Sao_Paulo' });
    const p = await loggedInPage({ strict: true });
    expect(await p.getAttribute('#day', 'aria-label')).toBe('Data');
    await p.click('#tabs a[data-tab=patients]');
    await p.fill('#search', 'beatriz demonstracao');
    await p.locator('#patients-table tbody tr a', { hasText: 'Beatriz Demonstração Teste' }).click();
    await p.waitForSelector('#view-patient:not([hidden])');
    await p.click('#patient-book');
    await p.waitForSelector('#book-dialog[open]');
    await p.goBack();
    await p.waitForSelector('#view-patients:not([hidden])');
    expect(await p.isVisible('#book-dialog')).toBe(false); // not left open over another view
    await p.goForward();
    await p.waitForSelector('#view-patient:not([hidden])');
    await p.focus('#patient-book');
    // past the links of the patient's appointments (the booking made above: a link to its day) to the file picker
    const appointmentLinks = await p.locator('#patient-appts a').count();
    expect(appointmentLinks).toBeGreaterThan(0);
    for (let i = 0; i <= appointmentLinks; i++) await p.keyboard.press('Tab');
    expect(await p.evaluate(() => document.activeElement?.id)).toBe('file-input');
    expect(await p.$eval('label[for=file-input]', (l) => getComputedStyle(l).outlineStyle)).toBe('solid');
    await p.close();
  });

  it('saves a new patient once: Save is busy until the answer (a double click on a slow link sends one request), and a retry after a lost answer gets the same patient back', async () => {
    const p = await loggedInPage();
    const slow = await holdPosts(p, '**/api/patients');
    await p.click('#tabs a[data-tab=patients]');
    await p.click('#patient-add');
    await p.fill('#patient-form input[name=fullName]', 'Teste Rede Lenta');
    await p.fill('#patient-form input[name=birthDate]', '1990-10-10');
    await p.locator('#patient-form button[type=submit]').dblclick();
    await p.waitForSelector('#patient-form[aria-busy=true] button[type=submit]:disabled');
    await p.evaluate(() => document.querySelector<HTMLButtonElement>('#patient-form button[type=submit]')!.click()); // a third, impatient one
    slow.release();
    await p.locator('#patient-name', { hasText: 'Teste Rede Lenta' }).waitFor();
    expect(slow.posts).toBe(1);
    expect(await listPatients(stack.dataStore, { search: 'teste rede lenta' })).toHaveLength(1);

    // the answer is lost on the way back (the patient was created): Save again gets that patient, not a second one
    await p.unroute('**/api/patients');
    let lose = true;
    await p.route('**/api/patients', async (r) => {
      if (r.request().method() === 'POST' && lose) {
        lose = false;
        await r.fetch();
        return r.abort('connectionreset');
      }
      return r.continue();
    });
    await p.click('#tabs a[data-tab=patients]');
    await p.click('#patient-add');
    await p.fill('#patient-form input[name=fullName]', 'Teste Resposta Perdida');
    await p.fill('#patient-form input[name=birthDate]', '1991-11-11');
    await p.click('#patient-form button[type=submit]');
    await p.locator('#patient-form-error', { hasText: 'Sem conexão' }).waitFor();
    expect(await listPatients(stack.dataStore, { search: 'teste resposta perdida' })).toHaveLength(1); // it did arrive
    await p.click('#patient-form button[type=submit]');
    await p.locator('#patient-name', { hasText: 'Teste Resposta Perdida' }).waitFor();
    expect(await listPatients(stack.dataStore, { search: 'teste resposta perdida' })).toHaveLength(1);
    await p.close();
  });

  it('books once on a double click of Book (busy until the answer)', async () => {
    const p = await loggedInPage();
    const { id } = await ownPatient('Teste Clique Duplo');
    const slow = await holdPosts(p, '**/api/appointments');
    await p.goto(`${url}/#/patients/${id}`);
    await p.locator('#patient-name', { hasText: 'Teste Clique Duplo' }).waitFor();
    await p.click('#patient-book');
    await p.fill('#book-form input[name=date]', clinicDate(3));
    await p.fill('#book-form input[name=time]', '15:00');
    await p.fill('#book-form input[name=dentist]', 'Dr. Clique Duplo');
    await p.locator('#book-form button[type=submit]').dblclick();
    await p.waitForSelector('#book-form[aria-busy=true] button[type=submit]:disabled');
    slow.release();
    await p.locator('#patient-appts li', { hasText: 'Dr. Clique Duplo' }).waitFor();
    expect(slow.posts).toBe(1);
    expect(await p.locator('#patient-appts li', { hasText: 'Dr. Clique Duplo' }).count()).toBe(1);
    await p.close();
  });

  it('a failed upload (the PUT to storage does not go through) is told to the server: the tile says the file never arrived, at once', async () => {
    const p = await loggedInPage();
    const patient = await createPatient(stack.dataStore, { fullName: 'Paciente Envio Falho', birthDate: '1980-08-08' }, 'test:setup');
    await p.route(/\/original\.jpg\?/, (r) => (r.request().method() === 'PUT' ? r.abort('connectionreset') : r.continue()));
    await p.goto(`${url}/#/patients/${patient.id}`);
    await p.locator('#patient-name', { hasText: 'Paciente Envio Falho' }).waitFor();
    await p.setInputFiles('#file-input', { name: 'sem-rede.jpg', mimeType: 'image/jpeg', buffer: await smallJpeg() });
    const failed = p.locator('#thumbs li[data-status=failed]');
    await failed.waitFor();
    expect(await failed.textContent()).toContain('o arquivo não chegou');
    const [image] = await listImages(stack.dataStore, patient.id);
    expect(image).toMatchObject({ status: 'failed', failure: { code: 'never-arrived' } });
    await p.close();
  });

  it('leaving the page while a file is on its way tells the server (a keepalive request), so the upload does not stay "processing" for an hour', async () => {
    const p = await loggedInPage();
    const patient = await createPatient(stack.dataStore, { fullName: 'Paciente Aba Fechada', birthDate: '1981-08-08' }, 'test:setup');
    await p.route(/\/original\.jpg\?/, () => {}); // the PUT never finishes
    await p.goto(`${url}/#/patients/${patient.id}`);
    await p.locator('#patient-name', { hasText: 'Paciente Aba Fechada' }).waitFor();
    const announced = p.waitForResponse((r) => r.url().endsWith('/images') && r.request().method() === 'POST');
    await p.setInputFiles('#file-input', { name: 'aba-fechada.jpg', mimeType: 'image/jpeg', buffer: await smallJpeg() });
    await announced;
    // the file's progress bar is named by the file, so a screen reader says whose progress it reads out
    expect(await p.getByRole('progressbar', { name: 'aba-fechada.jpg' }).count()).toBe(1);
    await p.goto('about:blank');
    let status: string | undefined;
    for (let i = 0; i < 100 && status !== 'failed'; i++) {
      status = (await listImages(stack.dataStore, patient.id))[0]?.status;
      if (status !== 'failed') await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('failed');
    await p.close();
  });

  it('while an image is processing, the list is read again with backoff and not for ever; ready tiles stay as they are (no new download, focus kept); old links are renewed before opening, and a link that fails is renewed once', async () => {
    const patient = await createPatient(stack.dataStore, { fullName: 'Paciente Sondagem', birthDate: '1982-08-08' }, 'test:setup');
    const ready = await announce(patient.id, 'pronta.jpg');
    await fetch(ready.upload.url, { method: 'PUT', headers: ready.upload.headers, body: await smallJpeg() });
    for (let i = 0; i < 300 && (await listImages(stack.dataStore, patient.id))[0]?.status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 100));
    await announce(patient.id, 'nunca-chega.jpg'); // stays processing: its file never comes

    const p = await loggedInPage({ clock: true });
    let lists = 0;
    let thumbs = 0;
    p.on('request', (r) => {
      if (r.method() === 'GET' && r.url().endsWith(`/api/patients/${patient.id}/images`)) lists++;
      if (/\/thumb\.webp\?/.test(r.url())) thumbs++;
    });
    const listed = () => p.waitForResponse((r) => r.url().endsWith(`/api/patients/${patient.id}/images`) && r.request().method() === 'GET');
    await p.goto(`${url}/#/patients/${patient.id}`);
    await p.locator('#thumbs li[data-status=processing]').waitFor();
    await p.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('#thumbs img')].every((i) => i.complete && i.naturalWidth > 0));
    await p.focus('#thumbs li[data-status=ready] button');
    await p.evaluate(() => ((document.activeElement as HTMLElement & { mark?: boolean }).mark = true));
    for (let i = 0; i < 4; i++) {
      const next = listed();
      await p.clock.runFor(16_000);
      await next;
    }
    expect(lists).toBe(5);
    expect(thumbs).toBe(1); // the ready thumbnail was not downloaded again
    expect(await p.evaluate(() => Boolean((document.activeElement as HTMLElement & { mark?: boolean }).mark))).toBe(true);
    // the polls slow down and stop after a few minutes, with a way to look again
    for (let i = 0; i < 20 && !(await p.isVisible('#images-stale')); i++) {
      const next = listed();
      await p.clock.runFor(60_000);
      // the last poll's answer may stop the polling after the check above: then no list comes, the notice does
      await Promise.race([next, p.locator('#images-stale').waitFor()]);
    }
    expect(await p.isVisible('#images-stale')).toBe(true);
    const stopped = lists;
    expect(stopped).toBeLessThan(20);
    await p.clock.runFor(20 * 60_000);
    await p.evaluate(() => fetch('/health'));
    expect(lists).toBe(stopped);
    await shot('7-still-processing', p);

    // links are 10 minutes old now: opening the image reads the list first, and the display image loads
    const relisted = listed();
    await p.click('#thumbs li[data-status=ready] button');
    await relisted;
    await p.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('#image-full');
      return Boolean(img && img.complete && img.naturalWidth > 0);
    });
    await p.click('#image-dialog [data-close]');

    // a link that does not work (expired): the list is read again, once, and the image shows
    let refused = 0;
    await p.route(/\/display\.webp\?/, (r) => (refused++ === 0 ? r.fulfill({ status: 403, body: 'Request has expired' }) : r.continue()));
    const before = lists;
    await p.click('#thumbs li[data-status=ready] button');
    await p.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('#image-full');
      return Boolean(img && img.complete && img.naturalWidth > 0);
    });
    expect(refused).toBe(2);
    expect(lists).toBe(before + 1);
    await p.close();
  });

  it('fits a phone and a small tablet (375 and 600 px): the top bar wraps, nothing scrolls sideways, the agenda cards keep their buttons', async () => {
    const patient = await createPatient(stack.dataStore, { fullName: 'Maria Aparecida dos Santos Nascimento', birthDate: '1975-05-05', phone: '+55 11 97777-0000', alerts: ['Alergia a látex'] }, 'test:setup');
    const day = clinicDate(5);
    for (const [time, dentist] of [['09:00', 'Dra. Ana Beatriz Souza'], ['10:00', 'Dr. João Pedro Albuquerque']]) {
      await createAppointment(stack.dataStore, { patientId: patient.id, dentist, at: `${day} ${time}`, durationMinutes: 45, procedure: 'Tratamento de canal (molar)' }, 'test:setup', { timeZone: 'America/Sao_Paulo' });
    }
    const fits = (p: Page) => p.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
    for (const width of [375, 600]) {
      const p = await loggedInPage({ viewport: { width, height: 780 } });
      await p.goto(`${url}/#/agenda?date=${day}`);
      // a phone and a 600 px tablet read the day as a list, each appointment once (the grid is for wider screens)
      await p.locator('#agenda-list .appt', { hasText: 'Maria Aparecida' }).first().waitFor();
      expect(await p.locator('.day-grid').count(), `no grid at ${width}px`).toBe(0);
      const agenda = await fits(p);
      expect(agenda.scroll, `agenda at ${width}px`).toBeLessThanOrEqual(agenda.width);
      for (const sel of ['#logout', '#lang-select', '#tabs a[data-tab=patients]']) {
        const box = (await p.locator(sel).boundingBox())!;
        expect(box.x + box.width, `${sel} at ${width}px`).toBeLessThanOrEqual(width);
      }
      for (const card of await p.locator('.appt').all()) {
        const outer = (await card.boundingBox())!;
        for (const button of await card.locator('button').all()) {
          const b = (await button.boundingBox())!;
          expect(b.x + b.width, `an agenda button at ${width}px`).toBeLessThanOrEqual(outer.x + outer.width);
        }
      }
      await shot(`8-phone-${width}-agenda`, p);
      await p.goto(`${url}/#/patients/${patient.id}`);
      await p.locator('#patient-name', { hasText: 'Maria Aparecida' }).waitFor();
      await p.locator('#patient-appts li').first().waitFor();
      const record = await fits(p);
      expect(record.scroll, `patient at ${width}px`).toBeLessThanOrEqual(record.width);
      await shot(`8-phone-${width}-patient`, p);
      await p.click('#tabs a[data-tab=patients]');
      await p.locator('#patients-table tbody tr').first().waitFor();
      const list = await fits(p);
      expect(list.scroll, `patients at ${width}px`).toBeLessThanOrEqual(list.width);
      await p.click('#patient-add');
      await p.waitForSelector('#patient-dialog[open]');
      const dialog = await fits(p);
      expect(dialog.scroll, `the patient form at ${width}px`).toBeLessThanOrEqual(dialog.width);
      await shot(`8-phone-${width}-form`, p);
      await p.close();
    }
  });

  it('"Skip to content" moves the focus to the content and leaves the view and the address alone', async () => {
    const p = await loggedInPage();
    const id = (await listPatients(stack.dataStore, { search: 'beatriz demonstracao' }))[0]!.id;
    await p.goto(`${url}/#/patients/${id}`);
    await p.reload(); // the keyboard starts from the top of the page
    await p.locator('#patient-name', { hasText: 'Beatriz' }).waitFor();
    await p.keyboard.press('Tab');
    expect(await p.evaluate(() => document.activeElement?.className)).toBe('skip');
    await p.keyboard.press('Enter');
    await p.waitForFunction(() => document.activeElement?.id === 'main');
    expect(await p.evaluate(() => location.hash)).toBe(`#/patients/${id}`);
    expect(await p.isVisible('#view-patient')).toBe(true);
    expect(await p.isVisible('#view-agenda')).toBe(false);
    await p.close();
  });

  it('an address that cannot be opened (an unknown patient, a bad agenda date) shows an empty not-found state, not the previous patient or day', async () => {
    const p = await loggedInPage();
    const id = (await listPatients(stack.dataStore, { search: 'beatriz demonstracao' }))[0]!.id;
    await p.goto(`${url}/#/patients/${id}`);
    await p.locator('#patient-name', { hasText: 'Beatriz' }).waitFor();
    await p.evaluate(() => (location.hash = '#/patients/P-999999'));
    await p.waitForSelector('#view-failure:not([hidden])');
    expect(await p.textContent('#failure-title')).toBe('Não encontrado');
    expect(await p.textContent('#failure-text')).toBe('Paciente P-999999 não encontrado.');
    expect(await p.isVisible('#view-patient')).toBe(false);
    expect(await p.locator('body').innerText()).not.toContain('Beatriz'); // hidden, not just covered
    await shot('9-not-found', p);
    await p.click('#tabs a[data-tab=agenda]');
    await p.waitForSelector('#view-agenda:not([hidden])');
    for (const [date, text] of [['2026-02-30', 'essa data não existe'], ['0202-12-01', 'data inválida']]) {
      await p.evaluate((d) => (location.hash = `#/agenda?date=${d}`), date);
      await p.locator('#failure-text', { hasText: text }).waitFor();
      expect(await p.isVisible('#view-agenda'), date).toBe(false);
      await p.evaluate(() => (location.hash = '#/agenda'));
      await p.waitForSelector('#view-agenda:not([hidden])');
    }
    await p.close();
  });

  it('a record opened while the one before still loads stays on screen when the older answer comes late', async () => {
    const first = await ownPatient('Paciente Resposta Lenta');
    const second = await ownPatient('Paciente Aberta Depois');
    const p = await loggedInPage();
    // the first record's answer is on its way (the server has answered) when the person opens another one
    const slow = await holdAnswers(p, `**/api/patients/${first.id}`);
    await p.evaluate((id) => (location.hash = `#/patients/${id}`), first.id);
    await slow.answered;
    await openRecord(p, second);
    const late = p.waitForEvent('requestfinished', (r) => r.url().endsWith(`/api/patients/${first.id}`));
    slow.release();
    await late;
    // a request the page makes after the late answer arrived is answered after the page has handled it
    await p.evaluate(() => fetch('/api/me').then((r) => r.text()));
    expect(await p.textContent('#patient-name')).toBe(second.fullName);
    expect(await p.textContent('#patient-sub')).toContain(second.id);
    expect(await p.isVisible('#view-patient')).toBe(true);
    await p.close();
  });

  it('typing a date into the agenda loads that day once, when the date is whole and plausible, without adding to history', async () => {
    const p = await loggedInPage({ clock: true });
    const asked: string[] = [];
    p.on('request', (r) => {
      const m = /\/api\/appointments\?date=([^&]*)/.exec(r.url());
      if (m) asked.push(decodeURIComponent(m[1]!));
    });
    const depth = await p.evaluate(() => history.length);
    await p.focus('#day');
    await p.keyboard.type('03032026'); // month or day first, either way the third of March; the year passes through 0002, 0020, 0202
    await p.clock.runFor(1_000);
    await p.locator('#agenda-date', { hasText: '3 de março de 2026' }).waitFor();
    expect(asked).toEqual(['2026-03-03']);
    expect(await p.evaluate(() => location.hash)).toBe('#/agenda?date=2026-03-03');
    expect(await p.evaluate(() => history.length)).toBe(depth);
    await p.close();
  });

  it('cancelling asks in the page, with buttons that say what they do ("Cancelar consulta" / "Manter"), and takes a reason', async () => {
    const patient = await createPatient(stack.dataStore, { fullName: 'Paciente Cancelamento', birthDate: '1970-07-07' }, 'test:setup');
    const day = clinicDate(6);
    const booked = await createAppointment(stack.dataStore, { patientId: patient.id, dentist: 'Dra. Cancela', at: `${day} 11:00`, durationMinutes: 30 }, 'test:setup', { timeZone: 'America/Sao_Paulo' });
    const p = await loggedInPage();
    const native: string[] = [];
    p.on('dialog', (d) => {
      native.push(d.message());
      void d.dismiss();
    });
    await p.goto(`${url}/#/agenda?date=${day}`);
    const card = p.locator('.appt', { hasText: 'Paciente Cancelamento' });
    await card.locator('button', { hasText: 'Cancelar' }).click();
    await p.waitForSelector('#cancel-dialog[open]');
    expect(await p.textContent('#cancel-form [data-close]')).toBe('Manter');
    expect(await p.textContent('#cancel-form button[type=submit]')).toBe('Cancelar consulta');
    expect(await p.evaluate(() => document.activeElement?.textContent)).toBe('Manter'); // the safe choice has the focus
    expect(await p.textContent('#cancel-what')).toContain('Paciente Cancelamento');
    await shot('10-cancel', p);
    await p.click('#cancel-form [data-close]');
    await p.locator('#cancel-dialog').waitFor({ state: 'hidden' });
    expect((await getAppointment(stack.dataStore, booked.id)).appointment.status).toBe('scheduled');
    await card.locator('button', { hasText: 'Cancelar' }).click();
    await p.fill('#cancel-form input[name=reason]', 'paciente viajou');
    await p.click('#cancel-form button[type=submit]');
    await card.locator('.badge.cancelled').waitFor();
    const { appointment } = await getAppointment(stack.dataStore, booked.id);
    expect(appointment.status).toBe('cancelled');
    expect(appointment.notes).toContain('paciente viajou');
    expect(native).toEqual([]);
    await p.close();
  });

  it('archiving a patient with future appointments asks in the page (pt-BR), lists them, and cancels them when told; a past one is left alone', async () => {
    const patient = await createPatient(stack.dataStore, { fullName: 'Paciente Despedida Teste', birthDate: '1945-04-04' }, 'test:setup');
    const future = await createAppointment(stack.dataStore, { patientId: patient.id, dentist: 'Dra. Despedida', at: `${clinicDate(7)} 10:00`, durationMinutes: 30, procedure: 'Limpeza' }, 'test:setup', { timeZone: 'America/Sao_Paulo' });
    const past = await createAppointment(stack.dataStore, { patientId: patient.id, dentist: 'Dra. Despedida', at: `${clinicDate(-3)} 10:00`, durationMinutes: 30 }, 'test:setup', {
      timeZone: 'America/Sao_Paulo',
      now: new Date(Date.now() - 6 * 86_400_000),
    });
    const p = await loggedInPage();
    const sent: unknown[] = [];
    p.on('request', (r) => r.method() === 'PATCH' && sent.push(r.postDataJSON()));
    await p.goto(`${url}/#/patients/${patient.id}`);
    await p.locator('#patient-name', { hasText: 'Paciente Despedida Teste' }).waitFor();
    await p.click('#patient-edit');
    await p.selectOption('#patient-form select[name=status]', 'archived');
    await p.click('#patient-form button[type=submit]');
    await p.waitForSelector('#leave-dialog[open]');
    // named by name and id, in the singular (issue 13 item 20)
    expect(await p.textContent('#leave-what')).toBe(`Paciente Despedida Teste (${patient.id}) tem 1 consulta futura. Se a ficha passar a “arquivado”, ela continuaria marcada, sem lembrete: escolha se deve ser cancelada ou mantida. Nada foi salvo ainda.`);
    const items = await p.$$eval('#leave-list li', (els) => els.map((e) => e.textContent));
    expect(items).toHaveLength(1);
    expect(items[0]).toContain('Dra. Despedida · Limpeza');
    expect(items[0]).toContain('10:00');
    expect(items[0]).toContain('agendada');
    expect(await p.evaluate(() => document.activeElement?.textContent)).toBe('Voltar'); // nothing decided by an Enter
    expect(await p.textContent('#leave-form button[value=cancel]')).toBe('Cancelar as consultas');
    expect(await p.textContent('#leave-form button[value=keep]')).toBe('Manter as consultas');
    await shot('13-leave-care', p);
    // going back changes nothing: the form is still open
    await p.click('#leave-form [data-close]');
    await p.locator('#leave-dialog').waitFor({ state: 'hidden' });
    expect(await p.isVisible('#patient-dialog')).toBe(true);
    expect((await getPatient(stack.dataStore, patient.id)).patient.status).toBe('active');
    expect((await getAppointment(stack.dataStore, future.id)).appointment.status).toBe('scheduled');

    await p.click('#patient-form button[type=submit]');
    await p.waitForSelector('#leave-dialog[open]');
    await p.click('#leave-form button[value=cancel]');
    await p.locator('#patient-sub', { hasText: 'arquivado' }).waitFor();
    await p.locator('#flash', { hasText: 'Ficha salva. 1 consulta cancelada.' }).waitFor();
    // the record's list shows the appointment cancelled; the past one as it was
    await p.locator('#patient-appts li', { hasText: 'Limpeza' }).locator('.badge.cancelled', { hasText: 'cancelada' }).waitFor();
    expect(await p.isVisible('#leave-dialog')).toBe(false);
    expect(await p.isVisible('#patient-dialog')).toBe(false);
    expect(sent).toEqual([{ status: 'archived' }, { status: 'archived' }, { status: 'archived', cancelAppointments: true }]);
    const { appointment } = await getAppointment(stack.dataStore, future.id);
    expect(appointment).toMatchObject({ status: 'cancelled', notes: 'cancelled: patient archived' });
    expect((await getAppointment(stack.dataStore, past.id)).appointment.status).toBe('scheduled');
    expect((await getPatient(stack.dataStore, patient.id)).patient.status).toBe('archived');
    await p.close();
  });

  it("moves a patient's appointment: its date in the record opens that day's agenda; moved to another day, the agenda shows that day with it (as booking does)", async () => {
    const patient = await createPatient(stack.dataStore, { fullName: 'Paciente Remarcação', birthDate: '1975-05-05' }, 'test:setup');
    const [day, newDay] = [clinicDate(8), clinicDate(9)];
    const booked = await createAppointment(stack.dataStore, { patientId: patient.id, dentist: 'Dra. Remarca', at: `${day} 10:00`, durationMinutes: 30 }, 'test:setup', { timeZone: 'America/Sao_Paulo' });
    const p = await loggedInPage();
    // the patient calls: the receptionist opens the record and goes from the appointment to its day
    await p.goto(`${url}/#/patients/${patient.id}`);
    await p.locator('#patient-appts a.when').click();
    await p.waitForFunction((d) => document.querySelector<HTMLInputElement>('#day')?.value === d && !document.querySelector<HTMLElement>('#view-agenda')?.hidden, day);
    expect(new URL(p.url()).hash).toBe(`#/agenda?date=${day}`);
    await p.locator('.appt', { hasText: 'Paciente Remarcação' }).locator('button', { hasText: 'Remarcar' }).click();
    await p.waitForSelector('#move-dialog[open]');
    expect(await p.textContent('#move-what')).toContain('Paciente Remarcação');
    expect(await p.inputValue('#move-form input[name=date]')).toBe(day);
    expect(await p.inputValue('#move-form input[name=time]')).toBe('10:00');
    await p.fill('#move-form input[name=date]', newDay);
    await p.fill('#move-form input[name=time]', '14:30');
    await p.click('#move-form button[type=submit]');
    await p.locator('#move-dialog').waitFor({ state: 'hidden' });
    const card = p.locator('.appt', { hasText: 'Paciente Remarcação' }).filter({ hasText: '14:30' });
    await card.waitFor(); // on the old day's agenda it would never show
    expect(new URL(p.url()).hash).toBe(`#/agenda?date=${newDay}`);
    expect(await p.inputValue('#day')).toBe(newDay);
    expect(await card.locator('.time').textContent()).toContain('14:30');
    const { appointment: old } = await getAppointment(stack.dataStore, booked.id);
    expect(old.movedTo).toBe(await card.getAttribute('data-appointment')); // a move to another day gives a new id
    await shot('10b-moved', p);
    await p.goto(`${url}/#/agenda?date=${day}`);
    await p.waitForFunction((d) => document.querySelector<HTMLInputElement>('#day')?.value === d, day);
    expect(await p.locator('.appt', { hasText: 'Paciente Remarcação' }).count()).toBe(0);
    await p.close();
  });

  it('an error already on screen is worded again when the language changes', async () => {
    const p = await browser.newPage({ viewport: { width: 1280, height: 860 }, locale: 'pt-BR' });
    await p.goto(`${url}/`);
    await p.click('#login-form button[type=submit]');
    await p.locator('#login-error', { hasText: 'Digite o e-mail e a senha.' }).waitFor();
    await p.selectOption('#lang-select', 'en');
    await p.locator('#login-error', { hasText: 'Enter your e-mail and password.' }).waitFor();
    await p.selectOption('#lang-select', 'pt-BR');
    await signIn(p);
    const id = (await listPatients(stack.dataStore, { search: 'beatriz demonstracao' }))[0]!.id;
    await p.goto(`${url}/#/patients/${id}`);
    await p.locator('#patient-name', { hasText: 'Beatriz' }).waitFor();
    await p.fill('#upload-teeth', '19');
    await p.setInputFiles('#file-input', { name: 'x.jpg', mimeType: 'image/jpeg', buffer: await smallJpeg() });
    await p.locator('#upload-error', { hasText: 'Dente “19” não existe' }).waitFor();
    await p.selectOption('#lang-select', 'en');
    await p.locator('#upload-error', { hasText: 'Tooth “19” is not in FDI notation' }).waitFor();
    await p.close();
  });

  it("the patient form takes a child's guardian (checked as by the CLI) and the status", async () => {
    const p = await loggedInPage();
    await p.click('#tabs a[data-tab=patients]');
    await p.click('#patient-add');
    await p.fill('#patient-form input[name=fullName]', 'Joãozinho Teste Menor');
    await p.fill('#patient-form input[name=birthDate]', '2018-03-03');
    await p.fill('#patient-form [name="guardian.relationship"]', 'mãe');
    await p.click('#patient-form button[type=submit]');
    await p.locator('#patient-form-error', { hasText: 'Preencha o campo “Nome do responsável”.' }).waitFor();
    expect(await p.getAttribute('#patient-form [name="guardian.name"]', 'aria-invalid')).toBe('true');
    await p.fill('#patient-form [name="guardian.name"]', 'Ana Responsável');
    await p.fill('#patient-form [name="guardian.phone"]', '12');
    await p.click('#patient-form button[type=submit]');
    // the server's check, the CLI's — naming whose phone it is (the patient's own has a field of its own)
    await p.locator('#patient-form-error', { hasText: 'Telefone do responsável inválido: de 8 a 15 dígitos' }).waitFor();
    expect(await p.getAttribute('#patient-form [name="guardian.phone"]', 'aria-invalid')).toBe('true');
    await p.selectOption('#lang-select', 'en');
    await p.locator('#patient-form-error', { hasText: "Guardian's phone: not a phone number" }).waitFor();
    await p.selectOption('#lang-select', 'pt-BR');
    await p.fill('#patient-form [name="guardian.phone"]', '+55 11 96666-0000');
    await p.fill('#patient-form [name="guardian.cpf"]', '123.456.789-00');
    await p.click('#patient-form button[type=submit]');
    await p.locator('#patient-form-error', { hasText: 'CPF do responsável inválido: os dígitos verificadores não conferem' }).waitFor();
    await p.fill('#patient-form [name="guardian.cpf"]', '');
    await shot('11-guardian', p);
    await p.click('#patient-form button[type=submit]');
    await p.locator('#patient-facts', { hasText: 'Ana Responsável · mãe · (11) 96666-0000' }).waitFor();
    const [child] = await listPatients(stack.dataStore, { search: 'joaozinho teste menor' });
    const { patient } = await getPatient(stack.dataStore, child!.id);
    expect(patient).toMatchObject({ status: 'active', guardian: { name: 'Ana Responsável', relationship: 'mãe', phone: '+5511966660000' } }); // stored in E.164

    await p.click('#patient-edit');
    expect(await p.inputValue('#patient-form [name="guardian.name"]')).toBe('Ana Responsável');
    await p.selectOption('#patient-form select[name=status]', 'inactive');
    for (const name of ['guardian.name', 'guardian.relationship', 'guardian.phone']) await p.fill(`#patient-form [name="${name}"]`, '');
    await p.click('#patient-form button[type=submit]');
    await p.locator('#patient-sub', { hasText: 'inativo' }).waitFor();
    const after = (await getPatient(stack.dataStore, child!.id)).patient;
    expect(after.status).toBe('inactive');
    expect(after.guardian).toBeUndefined();
    await p.close();
  });

  it('adding someone already known: the same name and birth date names that patient (with a link) and adds only once told it is another person; a person anonymized at their request likewise', async () => {
    const existing = await createPatient(stack.dataStore, { fullName: 'Sônia Homônima Teste', birthDate: '1955-05-05' }, 'test:setup');
    const named = async () => (await listPatients(stack.dataStore, { search: 'sonia homonima teste' })).length;
    const p = await loggedInPage();
    await p.click('#tabs a[data-tab=patients]');
    await p.click('#patient-add');
    await p.fill('#patient-form input[name=fullName]', 'sonia homonima teste');
    await p.fill('#patient-form input[name=birthDate]', '1955-05-05');
    await p.click('#patient-form button[type=submit]');
    await p.locator('#patient-form-error', { hasText: `Já existe o paciente ${existing.id} (Sônia Homônima Teste) com este nome e esta data de nascimento` }).waitFor();
    expect(await p.getAttribute('#patient-existing', 'href')).toBe(`#/patients/${existing.id}`);
    expect(await p.textContent('#patient-existing')).toBe(`Abrir a ficha de ${existing.id} (Sônia Homônima Teste)`);
    expect(await p.textContent('#patient-force')).toBe('É outra pessoa: cadastrar mesmo assim');
    await shot('12-duplicate', p);
    expect(await named()).toBe(1);
    // the offer was about this name and birth date: typing another withdraws it
    await p.fill('#patient-form input[name=fullName]', 'Sônia Homônima Teste');
    expect(await p.isVisible('#patient-force-box')).toBe(false);
    await p.click('#patient-form button[type=submit]');
    await p.locator('#patient-force', { hasText: 'cadastrar mesmo assim' }).waitFor();
    await p.click('#patient-force');
    await p.locator('#view-patient:not([hidden]) #patient-name', { hasText: 'Sônia Homônima Teste' }).waitFor();
    expect(await p.textContent('#patient-sub')).not.toContain(existing.id);
    expect(await named()).toBe(2);

    const cpf = generateCpf(777031);
    const gone = await createPatient(stack.dataStore, { fullName: 'Téo Apagado Teste', birthDate: '1966-06-06', cpf }, 'test:setup');
    await anonymizePatient(stack.dataStore, gone.id, 'test:setup');
    await p.click('#tabs a[data-tab=patients]');
    await p.click('#patient-add');
    await p.fill('#patient-form input[name=fullName]', 'Téo Voltou Teste');
    await p.fill('#patient-form input[name=birthDate]', '1966-06-06');
    await p.fill('#patient-form input[name=cpf]', cpf);
    await p.click('#patient-form button[type=submit]');
    await p.locator('#patient-form-error', { hasText: 'Estes dados correspondem a um paciente anonimizado a pedido dele (LGPD)' }).waitFor();
    expect(await p.isVisible('#patient-existing')).toBe(false); // nothing leads back to the anonymized record
    expect(await p.getAttribute('#patient-form input[name=cpf]', 'aria-invalid')).toBe('true');
    await p.selectOption('#lang-select', 'en');
    await p.locator('#patient-force', { hasText: 'The person is returning: add as a new patient' }).waitFor();
    expect(await p.textContent('#patient-form-error')).toContain('anonymized at their request');
    await p.click('#patient-force');
    await p.locator('#view-patient:not([hidden]) #patient-name', { hasText: 'Téo Voltou Teste' }).waitFor();
    const [back] = await listPatients(stack.dataStore, { search: 'teo voltou teste' });
    expect(back).toMatchObject({ cpf });
    await p.close();
  });

  it("edits alerts one at a time, as chips with a remove button and a field to add one: an alert a colleague added meanwhile stays (the list on screen never replaces the record's)", async () => {
    const made = await createPatient(stack.dataStore, { fullName: 'Alice Alergias Teste', birthDate: '1970-10-10', alerts: ['Penicilina', 'Látex'] }, 'test:setup');
    const p = await loggedInPage();
    const sent: unknown[] = [];
    p.on('request', (r) => r.method() === 'PATCH' && sent.push(r.postDataJSON()));
    const chips = () => p.$$eval('#alert-chips .chip span', (els) => els.map((e) => e.textContent));
    await p.goto(`${url}/#/patients/${made.id}`);
    await p.locator('#patient-name', { hasText: 'Alice Alergias Teste' }).waitFor();
    await p.click('#patient-edit');
    expect(await chips()).toEqual(['Penicilina', 'Látex']);
    await p.click('#alert-chips button[aria-label="Remover o alerta “Látex”"]');
    await p.fill('#patient-form input[name=newAlert]', 'Dipirona');
    await p.press('#patient-form input[name=newAlert]', 'Enter'); // adds the alert; it does not save
    expect(await chips()).toEqual(['Penicilina', 'Dipirona']);
    expect(await p.isVisible('#patient-dialog')).toBe(true);
    expect(sent).toEqual([]);
    await shot('13-alerts', p);
    await updatePatient(stack.dataStore, made.id, { addAlerts: ['Iodo'] }, 'test:colleague');
    await p.fill('#patient-form input[name=newAlert]', 'AAS');
    await p.click('#patient-form button[type=submit]');
    await p.locator('#patient-form-error', { hasText: 'Outra pessoa alterou esta ficha enquanto você editava (Alergias e alertas)' }).waitFor();
    expect(await chips()).toEqual(['Penicilina', 'Iodo', 'Dipirona', 'AAS']); // theirs kept, ours still ours
    await p.click('#patient-form button[type=submit]');
    await p.locator('#patient-dialog').waitFor({ state: 'hidden' });
    await p.locator('#patient-alerts', { hasText: 'Penicilina, Iodo, Dipirona, AAS' }).waitFor();
    expect((await getPatient(stack.dataStore, made.id)).patient.alerts).toEqual(['Penicilina', 'Iodo', 'Dipirona', 'AAS']);
    const change = { addAlerts: ['Dipirona', 'AAS'], removeAlerts: ['Látex'] };
    expect(sent).toEqual([change, change]); // never a whole list
    await p.close();
  });

  it('the patient list pages on: "Mostrar mais" reads the next page until every patient is listed', async () => {
    const p = await loggedInPage();
    // pages of 2 instead of 100, so the clinic's handful of test patients spans several
    await p.route(/\/api\/patients\?limit=100/, (r) => r.continue({ url: r.request().url().replace('limit=100', 'limit=2') }));
    const total = (await listPatients(stack.dataStore)).length;
    expect(total).toBeGreaterThan(4);
    await p.click('#tabs a[data-tab=patients]');
    await p.locator('#patients-count', { hasText: `mostrando 2 de ${total} pacientes` }).waitFor();
    for (let shown = 2; shown < total; shown = Math.min(shown + 2, total)) {
      await p.click('#patients-more');
      await p.waitForFunction((n) => document.querySelectorAll('#patients-table tbody tr[data-patient]').length === n, Math.min(shown + 2, total));
    }
    await p.locator('#patients-count', { hasText: `${total} pacientes` }).waitFor();
    expect(await p.isVisible('#patients-more')).toBe(false);
    const ids = await p.$$eval('#patients-table tbody tr[data-patient]', (rows) => rows.map((r) => (r as HTMLElement).dataset.patient));
    expect(new Set(ids).size).toBe(total);
    await p.close();
  });

  it('an appointment that has begun can be marked done or no-show from the agenda', async () => {
    const patient = await createPatient(stack.dataStore, { fullName: 'Paciente Faltosa', birthDate: '1966-06-06' }, 'test:setup');
    const day = clinicDate(-1);
    const past = await createAppointment(stack.dataStore, { patientId: patient.id, dentist: 'Dra. Ontem', at: `${day} 09:00`, durationMinutes: 30 }, 'test:setup', {
      timeZone: 'America/Sao_Paulo',
      now: new Date(Date.now() - 3 * 86_400_000),
    });
    const p = await loggedInPage();
    await p.goto(`${url}/#/agenda?date=${day}`);
    const card = p.locator('.appt', { hasText: 'Paciente Faltosa' });
    await card.waitFor();
    expect(await card.locator('button').allTextContents()).toEqual(['Realizada', 'Faltou', 'Cancelar']);
    await card.locator('button', { hasText: 'Faltou' }).click();
    await card.locator('.badge.no-show', { hasText: 'faltou' }).waitFor();
    expect((await getAppointment(stack.dataStore, past.id)).appointment.status).toBe('no-show');
    expect(await card.locator('button').count()).toBe(0);
    await p.close();
  });

  it('a receptionist works with patients and the agenda but not images: the images card is not shown, nor are images asked for', async () => {
    // a demo account (no second factor on target local), signed in like any other
    const rita = { email: `rita+${Date.now()}@clinica.example`, password: 'rita recebe pacientes 2026' };
    const { staff: ritaStaff } = await addStaff(stack.dataStore, { name: 'Rita Recepção', role: 'reception', email: rita.email, demo: true }, 'test:setup');
    await setPassword(stack.dataStore, ritaStaff.id, rita.password);
    let withImages: string | undefined;
    for (const patient of await listPatients(stack.dataStore, { status: 'all' })) {
      if ((await listImages(stack.dataStore, patient.id)).length) withImages = patient.id;
    }
    expect(withImages).toBeDefined(); // the demo seeds images
    const p = await loggedInPage({ as: rita });
    const asked: string[] = [];
    const refused: string[] = [];
    p.on('request', (r) => asked.push(new URL(r.url()).pathname));
    p.on('response', (r) => r.status() >= 400 && refused.push(`${r.status()} ${new URL(r.url()).pathname}`));
    expect(await p.textContent('#who')).toContain('Rita Recepção');
    await p.goto(`${url}/#/patients/${withImages}`);
    await p.waitForSelector('#view-patient:not([hidden])');
    await p.locator('#patient-facts dt').first().waitFor();
    expect(await p.isHidden('#images-card')).toBe(true);
    expect(await p.isVisible('#patient-book')).toBe(true);
    expect(asked.filter((path) => path.includes('/images'))).toEqual([]);
    expect(refused).toEqual([]);
    expect(await p.isVisible('.error:not([hidden])')).toBe(false);
    await shot('12-reception-patient', p);
    await p.close();
  });

  it('opening a view moves the focus to its heading and names the view in the document title (not on the first load)', async () => {
    const patient = await createPatient(stack.dataStore, { fullName: 'Paciente Foco Título', birthDate: '1990-09-09', phone: '+55 11 94444-0000' }, 'test:setup');
    const p = await loggedInPage({ strict: true });
    const focused = () => p.evaluate(() => document.activeElement?.id);
    await p.waitForFunction(() => document.activeElement?.id === 'agenda-title'); // after signing in
    expect(await p.title()).toMatch(/^Agenda: .+ · .+ — Equipe$/);
    await p.click('#tabs a[data-tab=patients]');
    await p.waitForFunction(() => document.activeElement?.id === 'patients-title');
    expect(await p.title()).toMatch(/^Pacientes · /);
    await p.fill('#search', 'paciente foco titulo');
    await p.locator('#patients-table tbody tr', { hasText: 'Paciente Foco Título' }).waitFor();
    expect(await focused()).toBe('search'); // a search as one types stays in its field
    await p.locator('#patients-table a', { hasText: 'Paciente Foco Título' }).click();
    await p.waitForFunction(() => document.activeElement?.id === 'patient-name');
    expect(await p.title()).toMatch(/^Paciente Foco Título · /);
    await p.evaluate(() => (location.hash = '#/patients/P-999999'));
    await p.waitForFunction(() => document.activeElement?.id === 'failure-title');
    expect(await p.title()).toMatch(/^Não encontrado · /);
    // a page loaded on an address leaves the focus at the top (the skip link comes first)
    await p.goto(`${url}/#/patients/${patient.id}`);
    await p.reload();
    await p.locator('#patient-name', { hasText: 'Paciente Foco Título' }).waitFor();
    expect(await focused()).not.toBe('patient-name');
    await p.close();
  });

  it('at 390 px the patient list shows every column as a card without scrolling sideways, and list links are targets of at least 24 px', async () => {
    const patient = await createPatient(stack.dataStore, { fullName: 'Paciente Tela Estreita', birthDate: '1991-01-01', cpf: generateCpf(777041), phone: '+55 11 93333-0000' }, 'test:setup');
    const day = clinicDate(11);
    await createAppointment(stack.dataStore, { patientId: patient.id, dentist: 'Dra. Estreita', at: `${day} 09:30`, durationMinutes: 30 }, 'test:setup', { timeZone: 'America/Sao_Paulo' });
    const p = await loggedInPage({ strict: true, viewport: { width: 390, height: 844 } });
    await p.click('#tabs a[data-tab=patients]');
    await p.fill('#search', 'paciente tela estreita');
    const row = p.locator('#patients-table tbody tr', { hasText: 'Paciente Tela Estreita' });
    await p.locator('#patients-count', { hasText: /^1 paciente/ }).waitFor(); // the search's answer, not the whole list's
    await row.waitFor();
    const frame = await p.$eval('.table-wrap', (el) => ({ scroll: el.scrollWidth, width: el.clientWidth }));
    expect(frame.scroll).toBeLessThanOrEqual(frame.width);
    for (const cell of await row.locator('td').all()) {
      const box = (await cell.boundingBox())!;
      expect(box.x + box.width, await cell.textContent() ?? '').toBeLessThanOrEqual(390);
    }
    expect(await row.textContent()).toContain('(11) 93333-0000');
    expect(await row.locator('td').nth(3).evaluate((td) => getComputedStyle(td, '::before').content)).toBe('"Telefone: "');
    await shot('14-phone-390-patients', p);
    const heights = async (sel: string) => Promise.all((await p.locator(sel).all()).map(async (a) => (await a.boundingBox())!.height));
    for (const h of await heights('#patients-table a')) expect(h).toBeGreaterThanOrEqual(24);
    await row.locator('a').click();
    await p.locator('#patient-appts a.when').waitFor();
    for (const h of await heights('#patient-appts a.when')) expect(h).toBeGreaterThanOrEqual(24);
    await p.goto(`${url}/#/agenda?date=${day}`);
    // a phone reads the day as a list (no grid drawn): each appointment once, as one span of time
    const card = p.locator('#agenda-list .appt', { hasText: 'Paciente Tela Estreita' });
    await card.waitFor();
    expect(await p.locator('.appt', { hasText: 'Paciente Tela Estreita' }).count()).toBe(1);
    expect(await p.locator('#agenda-grid *').count()).toBe(0);
    expect(await card.locator('.time').evaluate((el) => el.firstChild?.textContent)).toBe('09:30–10:00');
    for (const h of await heights('.appt .who a')) expect(h).toBeGreaterThanOrEqual(24);
    await p.close();
  });

  it('images: tiles by date taken then uploaded, pt-BR dates in captions; the viewer steps, zooms, lightens, adds contrast, names the teeth, downloads the shared copy, and its Fechar reads at 4.5:1', async () => {
    const patient = await ownPatient('Paciente Visualizador');
    let shade = 60;
    const upload = async (fileName: string, extra: Record<string, unknown>) => {
      shade += 50; // three different pictures
      const r = await fetch(`${url}/api/patients/${patient.id}/images`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ fileName, contentType: 'image/jpeg', kind: 'radiograph', ...extra }),
      });
      const { upload: put } = (await r.json()) as { upload: { url: string; headers: Record<string, string> } };
      const jpeg = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: shade, g: shade, b: shade } } }).jpeg().toBuffer();
      await fetch(put.url, { method: 'PUT', headers: put.headers, body: jpeg });
    };
    await upload('b-dois-dias.jpg', { takenAt: clinicDate(-2) });
    await upload('c-hoje.jpg', {}); // no date taken: its upload's
    await upload('a-dez-dias.jpg', { takenAt: clinicDate(-10), teeth: [11, 21] });
    for (let i = 0; i < 300 && (await listImages(stack.dataStore, patient.id)).some((img) => img.status === 'processing'); i++) await new Promise((r) => setTimeout(r, 100));
    expect((await listImages(stack.dataStore, patient.id)).map((img) => img.status)).toEqual(['ready', 'ready', 'ready']);
    const p = await loggedInPage({ strict: true });
    await openRecord(p, patient);
    await p.waitForFunction(() => document.querySelectorAll('#thumbs li[data-status=ready]').length === 3);
    const captions = await p.$$eval('#thumbs li .cap', (els) => els.map((e) => e.textContent));
    const [y, m, d] = clinicDate(-10).split('-');
    expect(captions).toEqual([`Radiografia · ${d}/${m}/${y} · a-dez-dias.jpg`, expect.stringContaining('b-dois-dias.jpg'), 'Radiografia · c-hoje.jpg']);

    await p.click('#thumbs li[data-status=ready] button');
    await p.waitForSelector('#image-dialog[open]');
    expect(await p.textContent('#image-dialog-title')).toContain('a-dez-dias.jpg');
    expect(await p.textContent('#image-meta')).toContain('Dentes 11, 21');
    expect(await p.isDisabled('#viewer-prev')).toBe(true);
    await p.click('#viewer-next');
    await p.locator('#image-dialog-title', { hasText: 'b-dois-dias.jpg' }).waitFor();
    await p.focus('#viewer-next');
    await p.keyboard.press('ArrowRight');
    await p.locator('#image-dialog-title', { hasText: 'c-hoje.jpg' }).waitFor();
    expect(await p.isDisabled('#viewer-next')).toBe(true);
    await p.keyboard.press('ArrowLeft');
    await p.locator('#image-dialog-title', { hasText: 'b-dois-dias.jpg' }).waitFor();

    await p.fill('#viewer-zoom', '2');
    await p.fill('#viewer-brightness', '1.5');
    await p.fill('#viewer-contrast', '2');
    expect(await p.$eval('#image-full', (img) => [img.style.width, img.style.filter])).toEqual(['200%', 'brightness(1.5) contrast(2)']);
    await shot('15-viewer', p);
    await p.click('#viewer-reset');
    expect(await p.$eval('#image-full', (img) => [img.style.width, img.style.filter])).toEqual(['', 'brightness(1) contrast(1)']);

    // the watermarked shared copy: a link that saves it, named by the image
    const href = (await p.getAttribute('#image-download', 'href'))!;
    expect(await p.isVisible('#image-download')).toBe(true);
    expect(decodeURIComponent(href)).toMatch(new RegExp(`response-content-disposition=attachment; filename="${patient.id}-[^"]+\\.webp"`));
    expect(new URL(href).pathname).toMatch(/\/shared\.webp$/);

    // "Fechar" on the viewer's dark ground: WCAG AA for text (4.5:1)
    const [fg, bg] = await p.$eval('#image-dialog [data-close]', (b) => [getComputedStyle(b).color, getComputedStyle(b.closest('dialog')!).backgroundColor]);
    const luminance = (rgb: string) => {
      const [r, g, b] = rgb.match(/\d+/g)!.slice(0, 3).map((c) => Number(c) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [number, number, number];
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const [light, dark] = [luminance(fg), luminance(bg)].sort((a, b) => b - a) as [number, number];
    expect((light + 0.05) / (dark + 0.05)).toBeGreaterThanOrEqual(4.5);
    await p.close();
  });

  it('words counts by plural rules, "Nome social" with its meaning, and a page that cannot be opened as such in English', async () => {
    const patient = await ownPatient('Paciente Plural');
    const day = clinicDate(12);
    for (const time of ['09:30', '11:00']) {
      await createAppointment(stack.dataStore, { patientId: patient.id, dentist: 'Dra. Plural', at: `${day} ${time}`, durationMinutes: 30 }, 'test:setup', { timeZone: 'America/Sao_Paulo' });
    }
    const p = await loggedInPage({ strict: true });
    await p.goto(`${url}/#/agenda?date=${day}`);
    await p.locator('.day-grid .appt', { hasText: 'Paciente Plural' }).first().waitFor();
    expect(await p.textContent('#agenda-count')).toBe('2 consultas');
    await p.click('#tabs a[data-tab=patients]');
    await p.fill('#search', 'paciente plural');
    await p.locator('#patients-count', { hasText: /^1 paciente$/ }).waitFor();
    await p.click('#patient-add');
    expect(await p.textContent('#patient-form label:has([name=preferredName]) span')).toBe('Nome social');
    expect(await p.textContent('#preferred-hint')).toBe('o nome pelo qual a pessoa se identifica e quer ser chamada');
    await p.click('#patient-dialog [data-close]');
    await p.selectOption('#lang-select', 'en');
    await p.locator('#patients-count', { hasText: /^1 patient$/ }).waitFor();
    await p.evaluate(() => (location.hash = '#/agenda?date=2026-02-30'));
    await p.locator('#failure-title', { hasText: 'This page could not be opened' }).waitFor();
    await p.evaluate((d) => (location.hash = `#/agenda?date=${d}`), day);
    await p.locator('#agenda-count', { hasText: /^2 appointments$/ }).waitFor();
    await p.close();
  });

  it('in the long patient dialog on a 768 px screen, the first error shows under its field, in view and focused; a CPF already taken names and links its patient', async () => {
    const owner = await createPatient(stack.dataStore, { fullName: 'Dona do CPF Teste', birthDate: '1960-06-06', cpf: generateCpf(777051) }, 'test:setup');
    const p = await loggedInPage({ strict: true, viewport: { width: 1280, height: 768 } });
    await p.click('#tabs a[data-tab=patients]');
    await p.click('#patient-add');
    await p.fill('#patient-form input[name=fullName]', 'Outra Pessoa CPF');
    await p.fill('#patient-form input[name=birthDate]', '1999-09-09');
    await p.fill('#patient-form input[name=cpf]', '123.456.789-00');
    await p.click('#patient-form button[type=submit]');
    const note = p.locator('#patient-form .field-error');
    await note.waitFor();
    expect(await note.textContent()).toContain('CPF inválido');
    const inView = async (sel: string) => {
      const box = (await p.locator(sel).boundingBox())!;
      return box.y >= 0 && box.y + box.height <= 768;
    };
    expect(await inView('#patient-form .field-error')).toBe(true);
    expect(await inView('#patient-form input[name=cpf]')).toBe(true);
    expect(await p.evaluate(() => (document.activeElement as HTMLInputElement).name)).toBe('cpf');
    expect(await p.getAttribute('#patient-form input[name=cpf]', 'aria-describedby')).toBe(await note.getAttribute('id'));
    await shot('16-field-error', p);

    await p.fill('#patient-form input[name=cpf]', generateCpf(777051));
    await p.click('#patient-form button[type=submit]');
    await p.locator('#patient-form .field-error', { hasText: `Este CPF já pertence a Dona do CPF Teste (${owner.id})` }).waitFor();
    expect(await p.textContent('#patient-form-error')).toContain('Dona do CPF Teste');
    expect(await p.getAttribute('#patient-existing', 'href')).toBe(`#/patients/${owner.id}`);
    expect(await p.textContent('#patient-existing')).toBe(`Abrir a ficha de ${owner.id} (Dona do CPF Teste)`);
    expect(await p.isVisible('#patient-force')).toBe(false); // a CPF is one person's: no "add anyway"
    await p.selectOption('#lang-select', 'en');
    await p.locator('#patient-existing', { hasText: `Open ${owner.id} (Dona do CPF Teste)` }).waitFor();
    expect(await p.isVisible('#patient-force')).toBe(false);
    expect(await p.textContent('#patient-form .field-error')).toContain('This CPF already belongs to Dona do CPF Teste');
    await p.click('#patient-existing');
    await p.locator('#view-patient:not([hidden]) #patient-name', { hasText: 'Dona do CPF Teste' }).waitFor();
    await p.close();
  });

  it('switches to English', async () => {
    const p = await loggedInPage({ strict: true });
    await p.selectOption('#lang-select', 'en');
    await p.locator('#tabs a[data-tab=patients]', { hasText: 'Patients' }).waitFor();
    expect(await p.textContent('#agenda-book')).toBe('New appointment');
    expect(await p.textContent('#cancel-form button[type=submit]')).toBe('Cancel appointment');
    expect(await p.textContent('#cancel-form [data-close]')).toBe('Keep');
    expect(await p.textContent('#leave-form button[value=cancel]')).toBe('Cancel the appointments');
    expect(await p.textContent('#leave-form [data-close]')).toBe('Go back');
    await shot('6-agenda-en', p);
    await p.close();
    // every test's page errors are checked after it (afterEach): none here either
    expect(consoleErrors).toEqual([]);
  });
});
