/**
 * The agenda's day grid in headless Chromium (playwright-core) against the dev stack with the demo's dentists:
 * book on an empty cell, move by drag and drop and by the "Remarcar" dialog with the keyboard, change a
 * status with one click, print the day, the list at 390 px, English. Each test books its own patient on its
 * own day, so the tests pass in any order.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAppointment, getAppointment, listAppointments } from '../../src/clinic/appointments.js';
import { addDentist, listChairs, listDentists } from '../../src/clinic/dentists.js';
import { createPatient } from '../../src/clinic/patients.js';
import { addStaff, setPassword } from '../../src/clinic/staff.js';
import { demoAgendaSeeder } from '../../src/local/demo-agenda.js';
import { DEMO_STAFF_FILE, demoStaffSeeder } from '../../src/local/demo-staff.js';
import { useTestStack, type TestStack } from '../helpers/stack.js';

const CHROMIUM = '/usr/bin/chromium';
const TZ = 'America/Sao_Paulo';

let stack: TestStack;
let browser: Browser;
let demoAdmin: { email: string; password: string };
let url: string;
const pageErrors: string[] = [];

/** A weekday (Tuesday–Thursday) some weeks ahead, a different one per test, so the tests do not share a day. */
let nextDay = 0;
function ownDay(): string {
  const d = new Date(Date.now() + (21 + 7 * nextDay++) * 86_400_000);
  while (d.getUTCDay() !== 3) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/**
 * Signs in on a new browser context (the one place the page's sign-in is done) and opens the agenda of `day`
 * (none: the page's own first view).
 */
async function signedIn(day: string | null, viewport = { width: 1280, height: 900 }, as = demoAdmin): Promise<Page> {
  const p = await browser.newPage({ viewport, locale: 'en-US', timezoneId: 'Asia/Tokyo' }); // the browser's locale must not matter
  p.on('pageerror', (e) => pageErrors.push(e.message));
  await p.goto(`${url}/`);
  await p.fill('#login-email', as.email);
  await p.fill('#login-password', as.password);
  await p.click('#login-form button[type=submit]');
  await p.waitForSelector('#view-agenda:not([hidden])');
  if (!day) return p;
  await p.goto(`${url}/#/agenda?date=${day}`);
  await p.waitForFunction((d) => document.querySelector<HTMLInputElement>('#day')?.value === d, day);
  return p;
}

const ownPatient = (fullName: string) => createPatient(stack.dataStore, { fullName, birthDate: '1980-03-03', phone: '+55 11 98888-0000' }, 'test:setup');
const book = (patientId: string, at: string, dentist = 'Dra. Ana Demo', notes?: string) =>
  createAppointment(stack.dataStore, { patientId, dentist, at, durationMinutes: 30, ...(notes ? { notes } : {}) }, 'test:setup', { timeZone: TZ });

const cell = (p: Page, dentist: string, time: string) =>
  p.locator(`.day-grid .cell[data-time="${time}"]`).and(p.locator(`[aria-label*="${dentist}"]`));

describe.skipIf(!existsSync(CHROMIUM))('the agenda grid in Chromium', { timeout: 60_000 }, () => {
  stack = useTestStack({ withComponents: true });
  beforeAll(async () => {
    await stack.seedDemo(undefined, [demoAgendaSeeder, demoStaffSeeder]); // the dentists, the chairs and the admin: the rest of the demo is not read
    const saved = JSON.parse(await readFile(join(stack.dir, DEMO_STAFF_FILE), 'utf8')) as { email: string; password: string };
    demoAdmin = { email: saved.email, password: saved.password };
    url = stack.endpoints.server!;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 90_000);

  afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

  afterAll(async () => {
    await browser?.close();
  });

  it('shows one column per dentist in 15-minute rows, and books on an empty cell (dialog prefilled)', async () => {
    const day = ownDay();
    const patient = await ownPatient('Paciente Célula Grade');
    const p = await signedIn(day);
    const heads = await p.locator('.day-grid .col-head').allTextContents();
    expect(heads).toEqual(expect.arrayContaining(['Dra. Ana Demo', 'Dr. Bruno Demo', 'Dr. Caio Demo']));
    expect(await p.locator('.day-grid .hour').allTextContents()).toEqual(expect.arrayContaining(['08:00', '08:30', '13:00']));
    await cell(p, 'Dr. Bruno Demo', '10:15').click();
    await p.waitForSelector('#book-dialog[open]');
    expect(await p.inputValue('#book-form input[name=date]')).toBe(day);
    expect(await p.inputValue('#book-form input[name=time]')).toBe('10:15');
    expect(await p.inputValue('#book-form input[name=dentist]')).toBe('Dr. Bruno Demo');
    await p.fill('#book-form input[name=patientSearch]', `${patient.fullName} · ${patient.id}`);
    await p.click('#book-form button[type=submit]');
    const block = p.locator('.day-grid .block', { hasText: 'Paciente Célula Grade' });
    await block.waitFor();
    expect(await block.locator('.time').textContent()).toBe('10:15');
    const [booked] = (await listAppointments(stack.dataStore, { from: day, to: day }, TZ)).filter((a) => a.patientId === patient.id);
    expect(booked?.dentist).toBe('Dr. Bruno Demo');
    await p.close();
  });

  it('offers the next free times in the booking dialog, and one fills the form', async () => {
    const day = ownDay();
    const p = await signedIn(day);
    await cell(p, 'Dra. Ana Demo', '09:00').click();
    await p.waitForSelector('#book-dialog[open]');
    await p.click('#book-free-find');
    const first = p.locator('#book-free button').first();
    await first.waitFor();
    expect(await first.textContent()).toContain('Dra. Ana Demo');
    await first.click();
    expect(await p.inputValue('#book-form input[name=dentist]')).toBe('Dra. Ana Demo');
    expect(await p.inputValue('#book-form input[name=time]')).toMatch(/^\d\d:\d\d$/);
    await p.close();
  });

  it('moves an appointment by dragging its block onto another time', async () => {
    const day = ownDay();
    const patient = await ownPatient('Paciente Arrastada');
    const a = await book(patient.id, `${day} 09:00`);
    const p = await signedIn(day);
    const block = p.locator('.day-grid .block', { hasText: 'Paciente Arrastada' });
    await block.dragTo(cell(p, 'Dra. Ana Demo', '11:30'));
    await p.locator('.day-grid .block', { hasText: 'Paciente Arrastada' }).filter({ hasText: '11:30' }).waitFor();
    const { appointment } = await getAppointment(stack.dataStore, a.id);
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: TZ, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(appointment.start))).toBe('11:30');
    await p.close();
  });

  it('moves an appointment with the keyboard through the "Remarcar" dialog', async () => {
    const day = ownDay();
    const patient = await ownPatient('Paciente Teclado');
    const a = await book(patient.id, `${day} 10:00`);
    const p = await signedIn(day);
    await p.locator('.day-grid .block', { hasText: 'Paciente Teclado' }).locator('button', { hasText: 'Remarcar' }).focus();
    await p.keyboard.press('Enter');
    await p.waitForSelector('#move-dialog[open]');
    expect(await p.evaluate(() => (document.activeElement as HTMLInputElement).name)).toBe('time');
    await p.keyboard.type('1445');
    await p.keyboard.press('Enter');
    await p.locator('#move-dialog').waitFor({ state: 'hidden' });
    await p.locator('.day-grid .block', { hasText: 'Paciente Teclado' }).filter({ hasText: '14:45' }).waitFor();
    expect((await getAppointment(stack.dataStore, a.id)).appointment.start).not.toBe(a.start);
    await p.close();
  });

  it('changes a status with one click on the block', async () => {
    const day = ownDay();
    const patient = await ownPatient('Paciente Confirma Grade');
    const a = await book(patient.id, `${day} 15:00`, 'Dr. Bruno Demo');
    const p = await signedIn(day);
    const block = p.locator('.day-grid .block', { hasText: 'Paciente Confirma Grade' });
    expect(await block.locator('.badge').textContent()).toBe('agendada');
    await block.locator('button', { hasText: 'Confirmar' }).click();
    await block.locator('.badge.confirmed', { hasText: 'confirmada' }).waitFor();
    expect((await getAppointment(stack.dataStore, a.id)).appointment.status).toBe('confirmed');
    await p.close();
  });

  it('marks a patient arrived ("Chegou") with one click on today\'s block, worded in both languages; not on a later day', async () => {
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(new Date());
    const patient = await ownPatient('Paciente Chegada Grade');
    const a = await createAppointment(stack.dataStore, { patientId: patient.id, dentist: 'Dr. Caio Demo', at: `${today} 23:30`, durationMinutes: 15 }, 'test:setup', { timeZone: TZ, force: true });
    // booked before the page opens: the server's patient names are re-read at most once a second
    const later = await ownPatient('Paciente Chegada Futura');
    const day = ownDay();
    await book(later.id, `${day} 14:00`, 'Dr. Caio Demo');
    const p = await signedIn(today);
    const block = p.locator('.day-grid .block', { hasText: 'Paciente Chegada Grade' });
    expect(await block.locator('button').allTextContents()).toEqual(['Chegou', 'Confirmar', 'Remarcar', 'Cancelar']);
    await block.locator('button', { hasText: 'Chegou' }).click();
    await block.locator('.badge.arrived', { hasText: 'chegou' }).waitFor();
    expect((await getAppointment(stack.dataStore, a.id)).appointment.status).toBe('arrived');
    expect(await block.locator('button').allTextContents()).toEqual(['Remarcar', 'Cancelar']); // done / no-show once it begins
    await p.selectOption('#lang-select', 'en');
    await block.locator('.badge.arrived', { hasText: 'arrived' }).waitFor();
    await p.goto(`${url}/#/agenda?date=${day}`);
    const future = p.locator('.day-grid .block', { hasText: 'Paciente Chegada Futura' });
    await future.waitFor();
    expect(await future.locator('button').allTextContents()).toEqual(['Confirm', 'Move', 'Cancel']);
    await p.close();
  });

  it('shows a column per chair ("Por cadeira", kept on reload), and booking on a chair\'s column books that chair', async () => {
    const day = ownDay();
    const [chair1, chair2] = (await listChairs(stack.dataStore)).sort((a, b) => a.name.localeCompare(b.name));
    const held = await ownPatient('Paciente Cadeira Dois');
    const a = await createAppointment(stack.dataStore, { patientId: held.id, dentist: 'Dra. Ana Demo', chair: chair2!.id, at: `${day} 09:00`, durationMinutes: 30 }, 'test:setup', { timeZone: TZ });
    const newcomer = await ownPatient('Paciente Cadeira Um');
    const p = await signedIn(day);
    await p.selectOption('#agenda-by', 'chair');
    expect(await p.locator('.day-grid .col-head').allTextContents()).toEqual(['Cadeira 1', 'Cadeira 2', 'Sem cadeira']);
    const block = p.locator('.day-grid .block', { hasText: 'Paciente Cadeira Dois' });
    expect(await block.evaluate((el) => getComputedStyle(el).gridColumnStart)).toBe('3'); // Cadeira 2's column
    await p.locator(`.day-grid .cell[data-time="10:30"][data-column="${chair1!.id}"]`).click();
    await p.waitForSelector('#book-dialog[open]');
    expect(await p.inputValue('#book-form input[name=chair]')).toBe('Cadeira 1');
    await p.fill('#book-form input[name=patientSearch]', `${newcomer.fullName} · ${newcomer.id}`);
    await p.fill('#book-form input[name=dentist]', 'Dr. Bruno Demo');
    await p.click('#book-form button[type=submit]');
    await p.locator('.day-grid .block', { hasText: 'Paciente Cadeira Um' }).waitFor();
    const [booked] = (await listAppointments(stack.dataStore, { from: day, to: day }, TZ)).filter((x) => x.patientId === newcomer.id);
    expect(booked).toMatchObject({ chairId: chair1!.id, dentist: 'Dr. Bruno Demo' });
    await p.reload();
    await p.locator('.day-grid .block', { hasText: 'Paciente Cadeira Dois' }).waitFor();
    expect(await p.locator('.day-grid .col-head').first().textContent()).toBe('Cadeira 1');
    await p.selectOption('#lang-select', 'en');
    await p.locator('.day-grid .col-head', { hasText: 'No chair' }).waitFor();
    expect(await p.getAttribute(`.day-grid .cell[data-time="11:00"][data-column="${chair1!.id}"]`, 'aria-label')).toBe('Book at 11:00 in Cadeira 1');
    await p.selectOption('#agenda-by', 'dentist');
    expect(await p.locator('.day-grid .col-head').allTextContents()).toEqual(expect.arrayContaining(['Dra. Ana Demo', 'Dr. Bruno Demo']));
    expect(a.chairId).toBe(chair2!.id);
    await p.close();
  });

  it('prints the day on A4 as time, patient, phone, dentist and note (nothing clinical), of every dentist or of one chosen, in both languages', async () => {
    const day = ownDay();
    const patient = await ownPatient('Paciente Impressa');
    await book(patient.id, `${day} 08:45`, 'Dra. Ana Demo', 'traz exames');
    const other = await ownPatient('Paciente Impressa Bruno');
    await book(other.id, `${day} 10:00`, 'Dr. Bruno Demo');
    const p = await signedIn(day);
    await p.locator('.day-grid .block', { hasText: 'Paciente Impressa' }).first().waitFor();
    await p.evaluate(() => window.dispatchEvent(new Event('beforeprint'))); // as the browser's own Print does
    await p.emulateMedia({ media: 'print' });
    expect(await p.locator('.day-grid').isVisible()).toBe(false);
    expect(await p.locator('.topbar').isVisible()).toBe(false);
    const row = p.locator('.print-day tr', { hasText: 'Paciente Impressa' }).first();
    expect(await row.isVisible()).toBe(true);
    expect(await row.locator('td').allTextContents()).toEqual(['08:45–09:15', 'Paciente Impressa', '(11) 98888-0000', 'Dra. Ana Demo', 'traz exames']);
    expect(await p.locator('#view-agenda button:visible').count()).toBe(0);
    await p.emulateMedia({ media: 'screen' });
    expect(await p.locator('.print-day').isVisible()).toBe(false);

    // "Imprimir" asks whose day: one dentist's has no dentist column and none of the others' patients
    await p.evaluate(() => {
      window.print = () => document.body.setAttribute('data-printed', String(Number(document.body.dataset.printed ?? 0) + 1));
    });
    await p.click('#agenda-print');
    await p.waitForSelector('#print-dialog[open]');
    expect(await p.locator('#print-form select[name=dentist] option').first().textContent()).toBe('Todos os dentistas');
    await p.selectOption('#print-form select[name=dentist]', { label: 'Dr. Bruno Demo' });
    await p.click('#print-form button[type=submit]');
    expect(await p.getAttribute('body', 'data-printed')).toBe('1');
    expect(await p.textContent('.print-title')).toContain('Dr. Bruno Demo');
    expect(await p.locator('.print-day th').allTextContents()).toEqual(['Horário', 'Paciente', 'Telefone', 'Observações']);
    expect(await p.locator('.print-day tbody tr', { hasText: 'Paciente Impressa Bruno' }).locator('td').allTextContents()).toEqual(['10:00–10:30', 'Paciente Impressa Bruno', '(11) 98888-0000', '']);
    expect(await p.locator('.print-day tbody tr', { hasText: /Paciente Impressa$/ }).count()).toBe(0);
    await p.selectOption('#lang-select', 'en');
    await p.locator('.day-grid .cell[aria-label^="Book at"]').first().waitFor({ state: 'attached' }); // the day drawn again, in English
    await p.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
    expect(await p.locator('.print-day th').allTextContents()).toEqual(['Time', 'Patient', 'Phone', 'Dentist', 'Notes']);
    await p.close();
  });

  it('shows the day as a list at 390 px, fitting the screen', async () => {
    const day = ownDay();
    const patient = await ownPatient('Paciente Celular');
    await book(patient.id, `${day} 09:30`);
    const p = await signedIn(day, { width: 390, height: 800 });
    await p.locator('#agenda-list .appt', { hasText: 'Paciente Celular' }).waitFor();
    expect(await p.locator('.day-grid').isVisible()).toBe(false);
    const fits = await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    expect(fits).toBe(true);
    await p.close();
  });

  it('words the grid in English and dates as dd/mm/yyyy in Portuguese, whatever the browser locale', async () => {
    const day = ownDay();
    const patient = await ownPatient('Paciente Idioma');
    await book(patient.id, `${day} 16:00`);
    const p = await signedIn(day);
    const [y, m, d] = day.split('-');
    const block = p.locator('.day-grid .block', { hasText: 'Paciente Idioma' });
    expect(await block.locator('.badge').textContent()).toBe('agendada');
    expect(await block.locator('.time').textContent()).toBe('16:00');
    await block.locator('button', { hasText: 'Remarcar' }).click();
    await p.waitForSelector('#move-dialog[open]');
    expect(await p.textContent('#move-what')).toContain(`${d}/${m}/${y}`);
    await p.click('#move-form [data-close]');
    await p.selectOption('#lang-select', 'en');
    const english = p.locator('.day-grid .block', { hasText: 'Paciente Idioma' });
    await english.locator('.badge', { hasText: 'scheduled' }).waitFor();
    expect(await english.locator('button').allTextContents()).toEqual(['Confirm', 'Move', 'Cancel']);
    expect(await english.locator('.time').textContent()).toBe('16:00');
    expect(await p.getAttribute(`.day-grid .cell[data-time="16:30"] >> nth=0`, 'aria-label')).toMatch(/^Book at 16:30 with /);
    await p.close();
  });

  it('shows one dentist\'s week, a column per day, and a week ahead with ›', async () => {
    const day = ownDay(); // a Wednesday: its week starts on the Monday before
    const patient = await ownPatient('Paciente Semana');
    await book(patient.id, `${day} 11:00`, 'Dr. Bruno Demo');
    const bruno = (await listDentists(stack.dataStore)).find((d) => d.name === 'Dr. Bruno Demo')!;
    const p = await signedIn(day);
    await p.selectOption('#agenda-dentist', bruno.id);
    await p.waitForFunction(() => document.querySelectorAll('.day-grid .col-head').length === 7);
    const heads = await p.locator('.day-grid .col-head').allTextContents();
    const [, m, d] = day.split('-');
    expect(heads[2]).toContain(`${d}/${m}`); // Wednesday, dd/mm in Portuguese
    const block = p.locator('.day-grid .block', { hasText: 'Paciente Semana' });
    expect(await block.locator('.time').textContent()).toBe('11:00');
    await p.click('#day-next');
    await p.waitForFunction((first) => document.querySelector('.day-grid .col-head')?.textContent !== first, heads[0]);
    expect(await p.locator('.day-grid .col-head').count()).toBe(7); // still Dr. Bruno's week, the next one
    expect(await p.locator('.day-grid .block', { hasText: 'Paciente Semana' }).count()).toBe(0);
    await p.close();
  });

  it('opens "Minha agenda" (the dentist\'s own week) for a dentist\'s own sign-in', async () => {
    // a demo account (target local: no second factor) with a password of its own
    const own = { email: 'propria.agenda@clinica.example', password: 'agenda própria de teste 2026' };
    const { staff } = await addStaff(stack.dataStore, { name: 'Dra. Própria Agenda', role: 'dentist', email: own.email, demo: true }, 'test:setup');
    await setPassword(stack.dataStore, staff.id, own.password);
    await addDentist(stack.dataStore, { name: 'Dra. Própria Agenda', color: '#225588', staffId: staff.id }, 'test:setup');
    const p = await signedIn(null, undefined, own);
    await p.locator('#agenda-date', { hasText: 'Dra. Própria Agenda' }).waitFor();
    expect(await p.locator('.day-grid .col-head').count()).toBe(7);
    expect(await p.title()).toContain('Minha agenda');
    await p.close();
  });

  it('gives the admin a "Dentistas e cadeiras" section: add and edit a dentist (CRO, specialty, colour, hours, account, active), add and deactivate a chair; others never see it', async () => {
    const reception = { email: 'recepcao.dentistas@clinica.example', password: 'recepção de teste 2026 ok' };
    const { staff: receptionist } = await addStaff(stack.dataStore, { name: 'Recepção Teste', role: 'reception', email: reception.email, demo: true }, 'test:setup');
    await setPassword(stack.dataStore, receptionist.id, reception.password);
    const { staff: doctor } = await addStaff(stack.dataStore, { name: 'Dr. Novo Cadastro', role: 'dentist', email: 'novo.cadastro@clinica.example', demo: true }, 'test:setup');

    const p = await signedIn(null);
    await p.click('#tab-dentists');
    await p.locator('#dentists-table tbody tr', { hasText: 'Dra. Ana Demo' }).waitFor();
    await p.click('#dentist-add');
    await p.fill('#dentist-form input[name=name]', 'Dr. Novo Cadastro');
    await p.fill('#dentist-form input[name=cro]', 'CRO-SP 99887');
    await p.fill('#dentist-form input[name=specialty]', 'Endodontia');
    await p.fill('#dentist-form input[name=color]', '#aa3366');
    await p.fill('#dentist-form input[name=hours]', 'segunda 09:00');
    await p.selectOption('#dentist-form select[name=staffId]', doctor.id);
    await p.click('#dentist-form button[type=submit]');
    await p.locator('#dentist-form-error', { hasText: 'O horário não foi entendido' }).waitFor(); // refused, in Portuguese, the form kept
    await p.fill('#dentist-form input[name=hours]', 'mon-wed 09:00-12:00');
    await p.click('#dentist-form button[type=submit]');
    const row = p.locator('#dentists-table tbody tr', { hasText: 'Dr. Novo Cadastro' });
    await row.waitFor();
    expect(await row.locator('td').allTextContents()).toEqual(['Dr. Novo Cadastro', 'CRO-SP 99887', 'Endodontia', 'mon,tue,wed 09:00–12:00', 'Dr. Novo Cadastro', 'ativo', 'Editar']);
    const added = (await listDentists(stack.dataStore)).find((d) => d.name === 'Dr. Novo Cadastro')!;
    expect(added).toMatchObject({ cro: 'CRO-SP 99887', specialty: 'Endodontia', color: '#aa3366', staffId: doctor.id, active: true, hours: [{ days: ['mon', 'tue', 'wed'], open: '09:00', close: '12:00' }] });

    await row.locator('button', { hasText: 'Editar' }).click();
    expect(await p.inputValue('#dentist-form input[name=hours]')).toBe('mon,tue,wed 09:00–12:00');
    await p.fill('#dentist-form input[name=specialty]', 'Endodontia e implantes');
    await p.fill('#dentist-form input[name=hours]', ''); // the clinic's hours again
    await p.uncheck('#dentist-form input[name=active]');
    await p.click('#dentist-form button[type=submit]');
    await row.locator('td', { hasText: 'inativo' }).waitFor();
    const edited = (await listDentists(stack.dataStore)).find((d) => d.id === added.id)!;
    expect(edited).toMatchObject({ specialty: 'Endodontia e implantes', active: false, cro: 'CRO-SP 99887' });
    expect(edited.hours).toBeUndefined();

    await p.fill('#chair-form input[name=name]', 'Cadeira Teste');
    await p.click('#chair-form button[type=submit]');
    const chair = p.locator('#chairs-list li', { hasText: 'Cadeira Teste' });
    await chair.locator('button', { hasText: 'Desativar' }).click();
    await chair.locator('span', { hasText: 'inativo' }).waitFor();
    expect((await listChairs(stack.dataStore)).find((c) => c.name === 'Cadeira Teste')?.active).toBe(false);

    await p.selectOption('#lang-select', 'en');
    await p.locator('#dentists-title', { hasText: 'Dentists and chairs' }).waitFor();
    expect(await p.locator('#dentists-table thead th').allTextContents()).toEqual(['Name', 'CRO', 'Specialty', 'Working hours', 'Sign-in account', 'Status', 'Edit']);
    await p.close();

    const other = await signedIn(null, undefined, reception);
    expect(await other.locator('#tab-dentists').isVisible()).toBe(false);
    await other.goto(`${url}/#/dentists`);
    await other.locator('#view-agenda:not([hidden])').waitFor();
    expect(await other.locator('#view-dentists').isHidden()).toBe(true);
    await other.close();
  });
});
