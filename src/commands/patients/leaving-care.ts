/**
 * `patients update --status archived|inactive|deceased` and `patients archive`: what happens to the patient's
 * future appointments. The rule is src/clinic/patient-status.ts; here are the flags and, on a terminal, the
 * question.
 */
import type { FutureAppointment, FutureAppointmentsChoice, LeavingCareResult } from '../../clinic/patient-status.js';
import { isClinicaError, usageError } from '../../errors.js';
import type { Ui } from '../../ui/output.js';
import { count } from '../../plural.js';

export interface AppointmentFlags {
  cancelAppointments?: boolean;
  keepAppointments?: boolean;
}

export function choiceFromFlags(f: AppointmentFlags): FutureAppointmentsChoice | undefined {
  if (f.cancelAppointments && f.keepAppointments) {
    throw usageError('--cancel-appointments and --keep-appointments: give one (the future appointments are cancelled or kept)', { field: 'cancelAppointments' });
  }
  return f.cancelAppointments ? 'cancel' : f.keepAppointments ? 'keep' : undefined;
}

/**
 * Runs the change. Refused because it would leave future appointments and no flag said what to do: on a
 * terminal the appointments are listed and the person chooses (cancel them, keep them, or change nothing →
 * undefined); elsewhere the refusal stands (one line naming both flags, exit 2, nothing changed).
 */
export async function withAppointmentsChoice(
  ui: Ui,
  choice: FutureAppointmentsChoice | undefined,
  change: (choice: FutureAppointmentsChoice | undefined) => Promise<LeavingCareResult>,
): Promise<LeavingCareResult | undefined> {
  try {
    return await change(choice);
  } catch (err) {
    if (choice || !ui.interactive || !isClinicaError(err) || err.reason !== 'future-appointments') throw err;
    const future = (err.extra?.appointments ?? []) as FutureAppointment[];
    ui.warn(`${err.params?.id} has ${count(future.length, 'future appointment')}; setting the status to ${err.params?.status} would leave ${future.length === 1 ? 'it' : 'them'} booked:`);
    await ui.table(future, [
      { header: 'When', value: (a) => `${a.date} ${a.time}` },
      { header: 'Dentist', value: (a) => a.dentist },
      { header: 'Procedure', value: (a) => a.procedure },
      { header: 'Status', value: (a) => a.status },
      { header: 'Id', value: (a) => a.id },
    ]);
    const answer = await ui.select<FutureAppointmentsChoice | 'nothing'>(
      'What about these appointments?',
      [
        { name: 'Cancel them (frees the slots; the cancellation is audited)', value: 'cancel' },
        { name: 'Keep them booked', value: 'keep' },
        { name: 'Change nothing', value: 'nothing' },
      ],
      { default: 'nothing' },
    );
    return answer === 'nothing' ? undefined : change(answer);
  }
}

/** The human lines about the appointments after the change. */
export function printAppointmentsOutcome(ui: Ui, result: LeavingCareResult): void {
  if (result.cancelled.length) ui.print(`${ui.green('✓')} cancelled ${count(result.cancelled.length, 'future appointment')}: ${result.cancelled.map((a) => a.id).join(', ')}`);
  if (result.kept.length) ui.print(`kept ${count(result.kept.length, 'future appointment')} booked: ${result.kept.map((a) => `${a.date} ${a.time} ${a.dentist}`).join('; ')}`);
}
