/**
 * The agenda's refusals in words, pt-BR and English, by reason: the booking rules' (also sent with each
 * refusal as `refusals[].text`) and those of the dentist and chair records. Plain data with `{name}`
 * placeholders filled from the error's `params`, for the staff page to show as it shows its own texts.
 */
import type { Locale } from '../config/schema.js';

export const agendaTexts: Record<Locale, Record<string, string>> = {
  'pt-BR': {
    overlap: '{dentist} já tem um horário em {date} das {from} às {to} ({appointmentId}).',
    'patient-overlap': 'O paciente {patientId} já tem consulta em {date} das {from} às {to} com {dentist} ({appointmentId}).',
    'chair-overlap': 'A cadeira {chair} já está ocupada em {date} das {from} às {to} ({appointmentId}).',
    'outside-opening-hours': 'A clínica não atende em {date} das {from} às {to}: o horário de {weekday} é {hours}.',
    'outside-working-hours': '{dentist} não atende em {date} das {from} às {to}: o horário de {weekday} é {hours}.',
    'clinic-closed': 'A clínica está fechada em {date} ({why}).',
    'force-not-allowed': 'Seu perfil não pode marcar encaixes. Peça a um administrador ou dentista.',
    'dentist-unknown': 'Nenhum dentista ativo corresponde a "{text}". Dentistas: {matches}.',
    'dentist-ambiguous': '"{text}" corresponde a mais de um dentista: {matches}. Escolha um.',
    'dentist-inactive': 'Este dentista não está mais ativo ("{text}").',
    'dentist-not-found': 'Dentista {id} não encontrado.',
    'dentist-exists': 'Já existe um dentista com esse nome ({id}).',
    'chair-unknown': 'Nenhuma cadeira ativa corresponde a "{text}". Cadeiras: {matches}.',
    'chair-ambiguous': '"{text}" corresponde a mais de uma cadeira: {matches}.',
    'chair-not-found': 'Cadeira {id} não encontrada.',
    'chair-exists': 'Já existe uma cadeira com esse nome ({id}).',
    'no-dentists': 'Nenhum dentista cadastrado: os horários livres são por dentista.',
    'color-format': 'Cor inválida: use #rrggbb, por exemplo #0b6e69.',
    'hours-format': 'Horário de atendimento inválido: dias (seg a dom) com abertura e fechamento, por exemplo 08:00–18:00.',
    // why a patient was not told of a change (the answer's `notice.reason`; the reminders' own reasons too)
    'no-sender': 'Paciente não avisado: o envio de e-mails não está configurado.',
    past: 'Paciente não avisado: a consulta já passou.',
    'already-sent': 'O paciente já foi avisado desta mudança.',
    'not-requested': 'Paciente não avisado (opção desmarcada).',
  },
  en: {
    overlap: '{dentist} is already booked on {date} from {from} to {to} ({appointmentId}).',
    'patient-overlap': 'Patient {patientId} already has an appointment on {date} from {from} to {to} with {dentist} ({appointmentId}).',
    'chair-overlap': 'Chair {chair} is already taken on {date} from {from} to {to} ({appointmentId}).',
    'outside-opening-hours': 'The clinic is not open on {date} from {from} to {to}: its hours on {weekday} are {hours}.',
    'outside-working-hours': '{dentist} does not work on {date} from {from} to {to}: the hours on {weekday} are {hours}.',
    'clinic-closed': 'The clinic is closed on {date} ({why}).',
    'force-not-allowed': 'Your role cannot book a double-booking (encaixe). Ask an admin or a dentist.',
    'dentist-unknown': 'No active dentist matches "{text}". Dentists: {matches}.',
    'dentist-ambiguous': '"{text}" matches more than one dentist: {matches}. Pick one.',
    'dentist-inactive': 'This dentist is no longer active ("{text}").',
    'dentist-not-found': 'Dentist {id} not found.',
    'dentist-exists': 'A dentist of that name is already recorded ({id}).',
    'chair-unknown': 'No active chair matches "{text}". Chairs: {matches}.',
    'chair-ambiguous': '"{text}" matches more than one chair: {matches}.',
    'chair-not-found': 'Chair {id} not found.',
    'chair-exists': 'A chair of that name is already recorded ({id}).',
    'no-dentists': 'No dentist is recorded: free slots are per dentist.',
    'color-format': 'Not a colour: use #rrggbb, e.g. #0b6e69.',
    'hours-format': 'Not working hours: days (mon to sun) with an opening and a closing time, e.g. 08:00–18:00.',
    'no-sender': 'Patient not notified: e-mail sending is not configured.',
    past: 'Patient not notified: the appointment is over.',
    'already-sent': 'The patient was already told of this change.',
    'not-requested': 'Patient not notified (unticked).',
  },
};
