import type { DemoSeeder } from './stack.js';
import { demoStaffSeeder } from './demo-staff.js';
import { demoAgendaSeeder, demoWeekSeeder } from './demo-agenda.js';
import { demoClinicSeeder } from './demo-clinic.js';
import { demoRemindersSeeder } from './demo-reminders.js';
import { demoImagesSeeder } from './demo-images.js';

/**
 * What `clinica dev --demo` seeds, in order (synthetic data only: fake names, generated CPFs). Seeders must be
 * idempotent: a second `--demo` run leaves one copy of each thing.
 */
export const seeders: DemoSeeder[] = [demoAgendaSeeder, demoClinicSeeder, demoWeekSeeder, demoStaffSeeder, demoRemindersSeeder, demoImagesSeeder];
