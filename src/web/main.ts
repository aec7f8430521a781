/**
 * The staff page (bundled by scripts/bundle-web.js into templates/staff/app.js): plain DOM over the markup of
 * templates/staff/index.html, no framework. Modules: api.ts (the API client and the session), i18n.ts (texts
 * from strings/*.json), router.ts (the hash routes), dom.ts (elements, errors, busy forms), format.ts
 * (dates), and one module per view under views/. This file wires what is the page's as a whole.
 */
import { session, whenUnauthorized } from './api.js';
import { $, retranslateErrors } from './dom.js';
import { CLINIC } from './format.js';
import { applyI18n, setLocale } from './i18n.js';
import { route } from './router.js';
import { wireAgenda } from './views/agenda.js';
import { wireAppointmentDialogs } from './views/appointment-dialogs.js';
import { wireImages } from './views/images.js';
import { wireInvitation } from './views/invitation.js';
import { resumeSession, sessionEnded, showLoggedIn, wireLogin } from './views/login.js';
import { reofferForce, renderAlerts, renderLeave, wirePatientForm } from './views/patient-form.js';
import { wirePatient } from './views/patient.js';
import { dropPendingSearch, wirePatients } from './views/patients.js';
import { wireAccount } from './views/account.js';
import { wireTeam } from './views/team.js';

function wire(): void {
  $<HTMLSelectElement>('#lang-select').addEventListener('change', (e) => {
    setLocale((e.target as HTMLSelectElement).value);
    applyI18n(CLINIC);
    retranslateErrors();
    if ($<HTMLDialogElement>('#patient-dialog').open) renderAlerts();
    reofferForce();
    if ($<HTMLDialogElement>('#leave-dialog').open) renderLeave();
    showLoggedIn(Boolean(session.staff));
    void route();
  });
  // "skip to content" moves the focus; as a link to #main it went through the hash router, to the agenda
  $('.skip').addEventListener('click', (e) => {
    e.preventDefault();
    $('#main').focus();
  });
  wireLogin();
  wireInvitation();
  wireAgenda();
  wireAppointmentDialogs();
  wirePatients();
  wirePatient();
  wirePatientForm();
  wireImages();
  wireAccount();
  wireTeam();
  for (const btn of document.querySelectorAll<HTMLButtonElement>('[data-close]')) btn.addEventListener('click', () => btn.closest('dialog')!.close());
  window.addEventListener('hashchange', () => {
    if (location.hash === '#main') return $('#main').focus(); // the skip link followed without this script's help
    // Back/Forward while a dialog is open: the dialog belongs to the view being left
    for (const d of document.querySelectorAll('dialog[open]')) (d as HTMLDialogElement).close();
    dropPendingSearch();
    void route();
  });
}

async function start(): Promise<void> {
  whenUnauthorized(sessionEnded);
  $('#clinic-name').textContent = CLINIC;
  applyI18n(CLINIC);
  wire();
  await resumeSession();
  await route();
}

void start();
