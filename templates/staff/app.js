// The staff page: plain DOM, no framework. Talks to the JSON API of the same origin with the staff token
// (kept in sessionStorage: closing the browser logs out). Text is built with textContent only, never HTML.

const root = document.documentElement;
const CLINIC = root.dataset.clinic || 'clinica';
const TIME_ZONE = root.dataset.timeZone || 'America/Sao_Paulo';

// ------------------------------------------------------------------ i18n

const messages = {
  'pt-BR': {
    skip: 'Pular para o conteúdo', language: 'Idioma', logout: 'Sair', staffArea: 'Equipe',
    'nav.main': 'Principal', 'nav.agenda': 'Agenda', 'nav.patients': 'Pacientes',
    'login.title': 'Acesso da equipe', 'login.help': 'Digite o token de acesso que você recebeu.', 'login.token': 'Token de acesso',
    'login.submit': 'Entrar', 'login.bad': 'Token inválido ou revogado.', 'login.empty': 'Digite o token.',
    'login.rate': 'Muitas tentativas deste computador. Aguarde alguns minutos.',
    'failure.notFound': 'Não encontrado', 'failure.title': 'Não foi possível abrir',
    'agenda.title': 'Agenda', 'agenda.prev': 'Dia anterior', 'agenda.next': 'Próximo dia', 'agenda.today': 'Hoje',
    'agenda.book': 'Nova consulta', 'agenda.empty': 'Nenhuma consulta neste dia.', 'agenda.count': '{n} consulta(s)',
    'patients.title': 'Pacientes', 'patients.add': 'Novo paciente', 'patients.search': 'Buscar',
    'patients.searchPlaceholder': 'Buscar por nome, CPF ou telefone…', 'patients.count': '{n} paciente(s)',
    'patients.countSome': 'mostrando {shown} de {n} pacientes', 'patients.none': 'Nenhum paciente encontrado.',
    'patients.more': 'Mostrar mais',
    'patients.col.id': 'Código', 'patients.col.name': 'Nome', 'patients.col.cpf': 'CPF', 'patients.col.phone': 'Telefone',
    'patients.col.next': 'Próxima consulta',
    'patient.back': '← Pacientes', 'patient.edit': 'Editar', 'patient.book': 'Agendar consulta', 'patient.record': 'Ficha',
    'patient.appointments': 'Consultas', 'patient.noAppointments': 'Nenhuma consulta.', 'patient.alerts': 'Alertas',
    'patient.years': '{n} anos', 'patient.new': 'Novo paciente', 'patient.editTitle': 'Editar paciente',
    'patient.created': 'Paciente {id} cadastrado.', 'patient.saved': 'Ficha salva.',
    'patient.conflict': 'A ficha foi alterada por outra pessoa. Recarregamos os dados: confira e salve de novo.',
    'patient.force': 'É outra pessoa: cadastrar mesmo assim', 'patient.forceErased': 'Está voltando: cadastrar como novo paciente',
    'patient.openExisting': 'Abrir a ficha de {patientId} ({fullName})',
    'alerts.none': 'Nenhum alerta.', 'alerts.new': 'Novo alerta', 'alerts.newPlaceholder': 'ex.: dipirona, látex',
    'alerts.add': 'Adicionar', 'alerts.remove': 'Remover o alerta “{alert}”',
    'f.fullName': 'Nome completo', 'f.preferredName': 'Nome social / apelido', 'f.birthDate': 'Data de nascimento', 'f.cpf': 'CPF',
    'f.sex': 'Sexo', 'f.phone': 'Telefone', 'f.email': 'E-mail', 'f.address': 'Endereço', 'f.alerts': 'Alergias e alertas',
    'f.notes': 'Observações', 'f.emailReminders': 'Aceita lembretes por e-mail', 'f.status': 'Situação', 'f.consent': 'Lembretes por e-mail',
    'f.guardian': 'Responsável', 'f.id': 'Código', 'f.age': 'Idade',
    'g.legend': 'Responsável (menor de idade)', 'g.name': 'Nome do responsável', 'g.relationship': 'Parentesco',
    'g.relationshipPlaceholder': 'mãe, pai, tutor…', 'g.phone': 'Telefone do responsável', 'g.cpf': 'CPF do responsável',
    'f.language': 'Idioma dos lembretes', 'lang.default': 'Padrão da clínica',
    'sex.female': 'Feminino', 'sex.male': 'Masculino', 'sex.other': 'Outro', 'sex.unknown': 'Não informado',
    'status.active': 'ativo', 'status.inactive': 'inativo', 'status.archived': 'arquivado', 'status.deceased': 'falecido',
    'appt.scheduled': 'agendada', 'appt.confirmed': 'confirmada', 'appt.cancelled': 'cancelada', 'appt.done': 'realizada', 'appt.no-show': 'faltou',
    'appt.confirm': 'Confirmar', 'appt.move': 'Remarcar', 'appt.cancel': 'Cancelar', 'appt.cancelAsk': 'Cancelar esta consulta?',
    'appt.markDone': 'Realizada', 'appt.markNoShow': 'Faltou', 'appt.doneMsg': 'Consulta marcada como realizada.', 'appt.noShowMsg': 'Falta registrada.',
    'cancel.reason': 'Motivo (opcional)', 'cancel.keep': 'Manter', 'cancel.submit': 'Cancelar consulta',
    'appt.confirmedMsg': 'Consulta confirmada.', 'appt.cancelledMsg': 'Consulta cancelada.', 'appt.moved': 'Consulta remarcada.',
    'appt.booked': 'Consulta agendada.', 'appt.min': 'min',
    'book.title': 'Nova consulta', 'book.patient': 'Paciente', 'book.patientPlaceholder': 'Digite o nome do paciente…',
    'book.date': 'Data', 'book.time': 'Horário', 'book.duration': 'Duração (min)', 'book.dentist': 'Dentista', 'book.procedure': 'Procedimento',
    'book.notes': 'Observações', 'book.submit': 'Agendar', 'book.force': 'Agendar mesmo assim (encaixe)', 'book.pickPatient': 'Escolha um paciente da lista.',
    'move.title': 'Remarcar consulta', 'move.submit': 'Remarcar',
    'images.title': 'Imagens', 'images.choose': 'Escolher arquivos', 'images.drop': 'Arraste imagens para cá (JPEG, PNG, TIFF, WebP)',
    'images.none': 'Nenhuma imagem.', 'images.uploading': 'enviando {p}%', 'images.processing': 'processando…', 'images.ready': 'pronta',
    'images.failed': 'falhou', 'images.rejected': 'Imagem recusada', 'images.type': 'Tipo de arquivo não aceito: {name}',
  'images.stale': 'Ainda há imagens em processamento.', 'images.recheck': 'Verificar de novo',
    'kind.radiograph': 'Radiografia', 'kind.photo': 'Foto', 'kind.document': 'Documento',
    cancel: 'Cancelar', save: 'Salvar', close: 'Fechar', yes: 'sim', no: 'não', 'error.generic': 'Algo deu errado. Tente de novo.',
    'error.offline': 'Sem conexão com o servidor.', 'error.forbidden': 'Seu perfil não tem acesso a isto.',
    'role.admin': 'administração', 'role.dentist': 'dentista', 'role.assistant': 'auxiliar', 'role.reception': 'recepção',
  },
  en: {
    skip: 'Skip to content', language: 'Language', logout: 'Log out', staffArea: 'Staff',
    'nav.main': 'Main', 'nav.agenda': 'Agenda', 'nav.patients': 'Patients',
    'login.title': 'Staff access', 'login.help': 'Enter the staff token you were given.', 'login.token': 'Staff token',
    'login.submit': 'Log in', 'login.bad': 'The token is not valid (or was revoked).', 'login.empty': 'Enter the token.',
    'login.rate': 'Too many attempts from this computer. Wait a few minutes.',
    'failure.notFound': 'Not found', 'failure.title': 'Could not be opened',
    'agenda.title': 'Agenda', 'agenda.prev': 'Previous day', 'agenda.next': 'Next day', 'agenda.today': 'Today',
    'agenda.book': 'New appointment', 'agenda.empty': 'No appointments on this day.', 'agenda.count': '{n} appointment(s)',
    'patients.title': 'Patients', 'patients.add': 'New patient', 'patients.search': 'Search',
    'patients.searchPlaceholder': 'Search by name, CPF or phone…', 'patients.count': '{n} patient(s)',
    'patients.countSome': 'showing {shown} of {n} patients', 'patients.none': 'No patients found.',
    'patients.more': 'Show more',
    'patients.col.id': 'Id', 'patients.col.name': 'Name', 'patients.col.cpf': 'CPF', 'patients.col.phone': 'Phone',
    'patients.col.next': 'Next appointment',
    'patient.back': '← Patients', 'patient.edit': 'Edit', 'patient.book': 'Book appointment', 'patient.record': 'Record',
    'patient.appointments': 'Appointments', 'patient.noAppointments': 'No appointments.', 'patient.alerts': 'Alerts',
    'patient.years': '{n} years', 'patient.new': 'New patient', 'patient.editTitle': 'Edit patient',
    'patient.created': 'Patient {id} added.', 'patient.saved': 'Record saved.',
    'patient.conflict': 'Someone else changed this record. It was reloaded: check it and save again.',
    'patient.force': 'This is another person: add anyway', 'patient.forceErased': 'The person is returning: add as a new patient',
    'patient.openExisting': 'Open {patientId} ({fullName})',
    'alerts.none': 'No alerts.', 'alerts.new': 'New alert', 'alerts.newPlaceholder': 'e.g. dipyrone, latex',
    'alerts.add': 'Add', 'alerts.remove': 'Remove the alert “{alert}”',
    'f.fullName': 'Full name', 'f.preferredName': 'Preferred name', 'f.birthDate': 'Birth date', 'f.cpf': 'CPF',
    'f.sex': 'Sex', 'f.phone': 'Phone', 'f.email': 'E-mail', 'f.address': 'Address', 'f.alerts': 'Allergies and alerts',
    'f.notes': 'Notes', 'f.emailReminders': 'Agrees to e-mail reminders', 'f.status': 'Status', 'f.consent': 'E-mail reminders',
    'f.guardian': 'Guardian', 'f.id': 'Id', 'f.age': 'Age',
    'g.legend': 'Guardian (for a minor)', 'g.name': 'Guardian\'s name', 'g.relationship': 'Relationship',
    'g.relationshipPlaceholder': 'mother, father, tutor…', 'g.phone': 'Guardian\'s phone', 'g.cpf': 'Guardian\'s CPF',
    'f.language': 'Reminder language', 'lang.default': 'Clinic default',
    'sex.female': 'Female', 'sex.male': 'Male', 'sex.other': 'Other', 'sex.unknown': 'Not stated',
    'status.active': 'active', 'status.inactive': 'inactive', 'status.archived': 'archived', 'status.deceased': 'deceased',
    'appt.scheduled': 'scheduled', 'appt.confirmed': 'confirmed', 'appt.cancelled': 'cancelled', 'appt.done': 'done', 'appt.no-show': 'no-show',
    'appt.confirm': 'Confirm', 'appt.move': 'Move', 'appt.cancel': 'Cancel', 'appt.cancelAsk': 'Cancel this appointment?',
    'appt.markDone': 'Done', 'appt.markNoShow': 'No-show', 'appt.doneMsg': 'Appointment marked done.', 'appt.noShowMsg': 'No-show recorded.',
    'cancel.reason': 'Reason (optional)', 'cancel.keep': 'Keep', 'cancel.submit': 'Cancel appointment',
    'appt.confirmedMsg': 'Appointment confirmed.', 'appt.cancelledMsg': 'Appointment cancelled.', 'appt.moved': 'Appointment moved.',
    'appt.booked': 'Appointment booked.', 'appt.min': 'min',
    'book.title': 'New appointment', 'book.patient': 'Patient', 'book.patientPlaceholder': 'Type the patient\'s name…',
    'book.date': 'Date', 'book.time': 'Time', 'book.duration': 'Duration (min)', 'book.dentist': 'Dentist', 'book.procedure': 'Procedure',
    'book.notes': 'Notes', 'book.submit': 'Book', 'book.force': 'Book anyway (double-book)', 'book.pickPatient': 'Pick a patient from the list.',
    'move.title': 'Move appointment', 'move.submit': 'Move',
    'images.title': 'Images', 'images.choose': 'Choose files', 'images.drop': 'Drop images here (JPEG, PNG, TIFF, WebP)',
    'images.none': 'No images.', 'images.uploading': 'uploading {p}%', 'images.processing': 'processing…', 'images.ready': 'ready',
    'images.failed': 'failed', 'images.rejected': 'Image rejected', 'images.type': 'File type not accepted: {name}',
  'images.stale': 'Some images are still being processed.', 'images.recheck': 'Check again',
    'kind.radiograph': 'Radiograph', 'kind.photo': 'Photo', 'kind.document': 'Document',
    cancel: 'Cancel', save: 'Save', close: 'Close', yes: 'yes', no: 'no', 'error.generic': 'Something went wrong. Try again.',
    'error.offline': 'Cannot reach the server.', 'error.forbidden': 'Your role has no access to this.',
    'role.admin': 'admin', 'role.dentist': 'dentist', 'role.assistant': 'assistant', 'role.reception': 'reception',
  },
};

// Server errors come as {code, reason?, field?, params?, message}: the page shows them in its own language by
// code and reason; `message` (English detail) only appears inside the generic fallback.
Object.assign(messages['pt-BR'], {
  'images.kind': 'Tipo', 'images.takenAt': 'Data do exame (opcional)', 'images.teeth': 'Dentes (FDI, opcional)',
  'images.s3failed': 'o envio ao armazenamento falhou (HTTP {status})', 'book.when': 'Data e horário',
  'patient.conflictFields': 'Outra pessoa alterou esta ficha enquanto você editava ({fields}). Os dados novos foram carregados e o que você digitou foi mantido: confira e salve de novo.',
  'patient.conflictKept': 'Outra pessoa alterou esta ficha enquanto você editava. Os dados novos foram carregados e o que você digitou foi mantido: confira e salve de novo.',
  'err.required': 'Preencha o campo “{field}”.',
  'err.cpf-format': '{field} inválido: são 11 dígitos (ex.: 123.456.789-09).',
  'err.cpf-check-digits': '{field} inválido: os dígitos verificadores não conferem. Confira o documento.',
  'err.cpf-repeated-digits': '{field} inválido: todos os dígitos são iguais. Confira o documento.',
  'err.date-format': '“{field}”: data inválida (use DD/MM/AAAA).',
  'err.date-invalid': '“{field}”: essa data não existe no calendário.',
  'err.datetime-format': '“{field}”: informe a data e o horário.',
  'err.time-invalid': '“{field}”: horário inválido.',
  'err.time-skipped': '{date} às {time} não existe neste fuso (mudança de horário). Escolha outro horário.',
  'err.date-future': '“{field}”: a data está no futuro.',
  'err.date-too-early': '“{field}”: a data é anterior a 1900.',
  'err.email-format': '{field} inválido: confira o endereço.',
  'err.phone-format': '{field} inválido: de 8 a 15 dígitos, ex.: (11) 98765-4321.',
  'err.no-letters': '“{field}” precisa ter letras.',
  'err.too-long': '“{field}”: no máximo {max} caracteres.',
  'err.out-of-range': '“{field}”: valor fora do intervalo ({min}–{max}).',
  'err.not-one-of': '“{field}”: valor não aceito (opções: {allowed}).',
  'err.unknown-field': 'Campo desconhecido: {field}.',
  'err.tooth-invalid': 'Dente “{value}” não existe na notação FDI (11–18, 21–28, 31–38, 41–48; decíduos 51–55, 61–65, 71–75, 81–85).',
  'err.content-type': 'Tipo de arquivo não aceito (use JPEG, PNG, TIFF ou WebP).',
  'err.in-past': 'Esse horário já passou ({date} às {time}). Escolha um horário futuro.',
  'err.crosses-midnight': 'A consulta terminaria às {end} de {date}, depois da meia-noite. Marque mais cedo ou mais curta.',
  'err.patient-not-bookable': 'Não é possível agendar: o paciente está {status}.',
  'err.not-begun': 'A consulta começa em {date} às {time}: só depois dá para marcar o que aconteceu.',
  'err.overlap': '{dentist} já tem consulta em {date}, das {from} às {to}. Escolha outro horário ou marque o encaixe.',
  'err.cpf-taken': 'Este CPF já pertence ao paciente {patientId}.',
  'err.duplicate-person': 'Já existe o paciente {patientId} ({fullName}) com este nome e esta data de nascimento: nada foi cadastrado. Abra a ficha dele; se for outra pessoa, confirme abaixo.',
  'err.erased-match': 'Estes dados correspondem a um paciente anonimizado a pedido dele (LGPD): nada foi cadastrado. Se a pessoa está voltando como novo paciente, confirme abaixo.',
  'err.old-cpf-claims': 'Os CPFs ainda estão no formato antigo e não podem ser conferidos: peça ao responsável pela TI para rodar `clinica patients reindex`. Nada foi gravado.',
  'err.alert-not-found': 'Este alerta não está mais na ficha (alguém pode tê-lo removido). Recarregue a ficha.',
  'err.appointment-moved': 'Esta consulta foi remarcada: altere a consulta nova.',
  'err.appointment-cancelled': 'Esta consulta foi cancelada: agende uma nova.',
  'err.appointment-over': 'Esta consulta já foi marcada como “{status}”: só dá para trocar entre realizada e faltou.',
  'err.future-appointments': 'O paciente {id} tem {count} consulta(s) futura(s). Se ficar {status}, elas continuariam marcadas, sem lembretes: escolha se devem ser canceladas ou mantidas. Nada foi salvo ainda.',
  'err.appointments-not-cancelled': 'A ficha de {id} foi salva, mas {count} consulta(s) não puderam ser canceladas ({ids}): cancele-as na agenda.',
  'leave.title': 'Consultas futuras', 'leave.back': 'Voltar', 'leave.keep': 'Manter as consultas', 'leave.cancel': 'Cancelar as consultas',
  'leave.cancelled': 'Ficha salva. {n} consulta(s) cancelada(s).', 'leave.kept': 'Ficha salva. {n} consulta(s) mantida(s).',
  'err.stale': 'Outra pessoa alterou este registro enquanto você trabalhava. Recarregue e tente de novo.',
  'err.if-match-required': 'A ficha precisa ser lida de novo antes de salvar: recarregue a página e tente de novo.',
  'err.idempotency-key-reused': 'Uma tentativa anterior deste envio pode já ter sido registrada: confira antes de enviar de novo.',
  'err.busy': 'Outra alteração estava em andamento. Tente de novo.',
  'err.exists': 'Outra alteração estava em andamento. Tente de novo.',
  'err.patient-not-found': 'Paciente {id} não encontrado.',
  'err.appointment-not-found': 'Consulta {id} não encontrada.',
  'err.image-not-found': 'Imagem {id} não encontrada.',
  'err.endpoint-not-found': 'Endereço não encontrado no servidor.',
  'err.role': 'Seu perfil ({role}) não tem acesso a isto.',
  'err.network': 'Este servidor só atende a rede da clínica.',
  'err.code.not-found': 'Não encontrado.',
  'err.code.forbidden': 'Seu perfil não tem acesso a isto.',
  'err.code.unauthorized': 'Sessão encerrada: entre de novo com o seu token.',
  'err.code.rate-limited': 'Muitas tentativas deste computador. Aguarde alguns minutos.',
  'err.code.unavailable': 'O armazenamento está indisponível no momento. Tente de novo em instantes.',
  'err.code.internal': 'Erro interno no servidor. Tente de novo; se persistir, informe o código {requestId}.',
  'err.code.too-large': 'Os dados enviados são grandes demais.',
  'err.code.offline': 'Sem conexão com o servidor.',
  'err.fallbackField': '“{field}”: valor não aceito ({detail}).',
  'err.fallback': 'Não foi possível concluir ({detail}).',
  'imgerr.unsupported-format': 'formato não aceito (use JPEG, PNG, TIFF ou WebP)',
  'imgerr.empty': 'o arquivo está vazio',
  'imgerr.truncated': 'o arquivo {format} está incompleto (download ou cópia interrompidos?)',
  'imgerr.damaged': 'o arquivo {format} está danificado e não pode ser lido',
  'imgerr.too-many-pixels': 'a imagem é grande demais: acima do limite de {limit}',
  'imgerr.never-arrived': 'o arquivo não chegou (envio interrompido); envie de novo',
  'imgerr.processing-failed': 'erro ao processar a imagem',
});
Object.assign(messages.en, {
  'images.kind': 'Kind', 'images.takenAt': 'Taken on (optional)', 'images.teeth': 'Teeth (FDI, optional)',
  'images.s3failed': 'the upload to storage failed (HTTP {status})', 'book.when': 'Date and time',
  'patient.conflictFields': 'Someone else changed this record while you were editing ({fields}). The new data was loaded and what you typed was kept: check it and save again.',
  'patient.conflictKept': 'Someone else changed this record while you were editing. The new data was loaded and what you typed was kept: check it and save again.',
  'err.required': 'Fill in “{field}”.',
  'err.cpf-format': '{field}: not a CPF — it has 11 digits (e.g. 123.456.789-09).',
  'err.cpf-check-digits': '{field}: invalid CPF, the check digits do not match. Check the document.',
  'err.cpf-repeated-digits': '{field}: invalid CPF, all its digits are the same. Check the document.',
  'err.date-format': '“{field}”: not a date.',
  'err.date-invalid': '“{field}”: no such calendar date.',
  'err.datetime-format': '“{field}”: give a date and a time.',
  'err.time-invalid': '“{field}”: no such time of day.',
  'err.time-skipped': '{date} {time} does not exist in this time zone (clock change). Pick another time.',
  'err.date-future': '“{field}”: the date is in the future.',
  'err.date-too-early': '“{field}”: the date is before 1900.',
  'err.email-format': '{field}: not an e-mail address. Check it.',
  'err.phone-format': '{field}: not a phone number (8 to 15 digits, e.g. +55 11 98765-4321).',
  'err.no-letters': '“{field}” needs letters.',
  'err.too-long': '“{field}”: at most {max} characters.',
  'err.out-of-range': '“{field}”: out of range ({min}–{max}).',
  'err.not-one-of': '“{field}”: not accepted (one of: {allowed}).',
  'err.unknown-field': 'Unknown field: {field}.',
  'err.tooth-invalid': 'Tooth “{value}” is not in FDI notation (11–18, 21–28, 31–38, 41–48; primary 51–55, 61–65, 71–75, 81–85).',
  'err.content-type': 'File type not accepted (JPEG, PNG, TIFF or WebP).',
  'err.in-past': 'That time has passed ({date} {time}). Pick a future time.',
  'err.crosses-midnight': 'The appointment would end at {end} on {date}, after midnight. Book it earlier or shorter.',
  'err.patient-not-bookable': 'Cannot book: the patient is {status}.',
  'err.not-begun': 'The appointment begins on {date} at {time}: what happened can be told only after that.',
  'err.overlap': '{dentist} is already booked on {date}, {from}–{to}. Pick another time or tick double-book.',
  'err.cpf-taken': 'This CPF already belongs to patient {patientId}.',
  'err.duplicate-person': 'Patient {patientId} ({fullName}) has this name and birth date: nothing was added. Open that record; if this is another person, confirm below.',
  'err.erased-match': 'This matches a patient anonymized at their request (LGPD): nothing was added. If the person is returning as a new patient, confirm below.',
  'err.old-cpf-claims': 'CPFs are still stored the old way and cannot be checked: ask the clinic’s IT person to run `clinica patients reindex`. Nothing was saved.',
  'err.alert-not-found': 'This alert is no longer on the record (someone may have removed it). Reload the record.',
  'err.appointment-moved': 'This appointment was moved: change the new one.',
  'err.appointment-cancelled': 'This appointment is cancelled: book a new one.',
  'err.appointment-over': 'This appointment is already marked “{status}”: it can only be switched between done and no-show.',
  'err.future-appointments': 'Patient {id} has {count} future appointment(s). Once {status}, they would stay booked, with no reminders: choose whether to cancel or keep them. Nothing was saved yet.',
  'err.appointments-not-cancelled': 'The record of {id} was saved, but {count} appointment(s) could not be cancelled ({ids}): cancel them in the agenda.',
  'leave.title': 'Future appointments', 'leave.back': 'Go back', 'leave.keep': 'Keep the appointments', 'leave.cancel': 'Cancel the appointments',
  'leave.cancelled': 'Record saved. {n} appointment(s) cancelled.', 'leave.kept': 'Record saved. {n} appointment(s) kept.',
  'err.stale': 'Someone else changed this record meanwhile. Reload it and try again.',
  'err.if-match-required': 'The record must be read again before saving: reload the page and try again.',
  'err.idempotency-key-reused': 'An earlier attempt of this may already have been saved: check before sending it again.',
  'err.busy': 'Another change was under way. Try again.',
  'err.exists': 'Another change was under way. Try again.',
  'err.patient-not-found': 'Patient {id} not found.',
  'err.appointment-not-found': 'Appointment {id} not found.',
  'err.image-not-found': 'Image {id} not found.',
  'err.endpoint-not-found': 'No such address on the server.',
  'err.role': 'Your role ({role}) has no access to this.',
  'err.network': 'This server answers only the clinic network.',
  'err.code.not-found': 'Not found.',
  'err.code.forbidden': 'Your role has no access to this.',
  'err.code.unauthorized': 'Your session ended: log in again with your token.',
  'err.code.rate-limited': 'Too many attempts from this computer. Wait a few minutes.',
  'err.code.unavailable': 'Storage is unavailable right now. Try again shortly.',
  'err.code.internal': 'Internal server error. Try again; if it persists, report code {requestId}.',
  'err.code.too-large': 'What was sent is too large.',
  'err.code.offline': 'Cannot reach the server.',
  'err.fallbackField': '“{field}”: not accepted ({detail}).',
  'err.fallback': 'Could not be done ({detail}).',
  'imgerr.unsupported-format': 'format not accepted (JPEG, PNG, TIFF or WebP)',
  'imgerr.empty': 'the file is empty',
  'imgerr.truncated': 'the {format} file is incomplete (interrupted download or copy?)',
  'imgerr.damaged': 'the {format} file is damaged and cannot be read',
  'imgerr.too-many-pixels': 'the image is too large: over the limit of {limit}',
  'imgerr.never-arrived': 'the file never arrived (upload interrupted); upload it again',
  'imgerr.processing-failed': 'the image could not be processed',
});

let locale = localStorage.getItem('clinica.locale') || (root.lang === 'en' ? 'en' : 'pt-BR');
if (!messages[locale]) locale = 'pt-BR';

function t(key, vars = {}) {
  const text = messages[locale][key] ?? messages['pt-BR'][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

const hasText = (key) => key in messages[locale] || key in messages['pt-BR'];

/** The page's name for an API field. */
const fieldKeys = {
  fullName: 'f.fullName', preferredName: 'f.preferredName', birthDate: 'f.birthDate', cpf: 'f.cpf', sex: 'f.sex', phone: 'f.phone',
  email: 'f.email', address: 'f.address', notes: 'f.notes', alerts: 'f.alerts', addAlerts: 'f.alerts', removeAlerts: 'f.alerts', newAlert: 'alerts.new',
  status: 'f.status', guardian: 'f.guardian',
  'guardian.name': 'g.name', 'guardian.relationship': 'g.relationship', 'guardian.phone': 'g.phone', 'guardian.cpf': 'g.cpf',
  language: 'f.language', emailReminders: 'f.emailReminders',
  at: 'book.when', date: 'book.date', time: 'book.time', dentist: 'book.dentist', duration: 'book.duration', durationMinutes: 'book.duration',
  patientId: 'book.patient', patient: 'book.patient', procedure: 'book.procedure', kind: 'images.kind', takenAt: 'images.takenAt',
  teeth: 'images.teeth', token: 'login.token',
};
const fieldLabel = (field) => (field ? (fieldKeys[field] ? t(fieldKeys[field]).replace(/\s*\(.*\)$/, '') : field) : '');
/** YYYY-MM-DD → the locale's short date (31/12/2026 or 12/31/2026). */
const dateLabel = (ymd) => (/^\d{4}-\d{2}-\d{2}$/.test(ymd) ? new Intl.DateTimeFormat(locale, { timeZone: 'UTC' }).format(new Date(`${ymd}T12:00:00Z`)) : ymd);

/** The variables of a coded message: params as given, dates and statuses in the page's language. */
function paramVars(params = {}) {
  const vars = { ...params };
  if (vars.date) vars.date = dateLabel(String(vars.date));
  // a patient's status (active, archived…) or, for what is not one, an appointment's (done, no-show…)
  if (vars.status && hasText(`status.${vars.status}`)) vars.status = t(`status.${vars.status}`);
  else if (vars.status && hasText(`appt.${vars.status}`)) vars.status = t(`appt.${vars.status}`);
  if (vars.role && hasText(`role.${vars.role}`)) vars.role = t(`role.${vars.role}`);
  return vars;
}

/**
 * An error as the person reads it, in the page's language: by reason, else by code, else a generic line that
 * still carries the server's detail. Errors made by the page itself (no code) are already in its language.
 */
function errorText(err) {
  if (!err) return t('error.generic');
  // made by the page: a key, worded (again) in the page's current language
  if (err.key) return t(err.key, { ...err.vars, field: fieldLabel(err.field), ...(err.fields ? { fields: err.fields.map(fieldLabel).join(', ') } : {}) });
  if (!err.code) return err.message || t('error.generic');
  const vars = { ...paramVars(err.params), field: fieldLabel(err.field), detail: err.message || err.code, requestId: err.requestId || '—' };
  if (err.reason && hasText(`err.${err.reason}`)) return t(`err.${err.reason}`, vars);
  if (err.code !== 'usage' && err.code !== 'conflict' && hasText(`err.code.${err.code}`)) return t(`err.code.${err.code}`, vars);
  return t(err.field ? 'err.fallbackField' : 'err.fallback', vars);
}

/** Why an image failed, in the page's language (older failures have no code: their English reason is shown). */
function imageFailureText(img) {
  if (img.errorCode && hasText(`imgerr.${img.errorCode}`)) return t(`imgerr.${img.errorCode}`, { format: '', limit: '', ...(img.errorParams || {}) }).replace(/\s{2,}/g, ' ');
  return img.error || '';
}

function applyI18n() {
  root.lang = locale;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of document.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  $('#lang-select').value = locale;
  document.title = `${CLINIC} — ${t('staffArea')}`;
}

// ------------------------------------------------------------------ helpers

const $ = (sel, el = document) => el.querySelector(sel);

/** h('a', {href: '#'}, 'text', child…): elements from plain data; strings become text nodes. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof window.Node ? c : String(c));
  return el;
}

const shortFmt = () => new Intl.DateTimeFormat(locale, { timeZone: TIME_ZONE, day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' });
const ymdFmt = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

/** Today in the clinic's time zone, YYYY-MM-DD. */
const clinicToday = () => ymdFmt.format(new Date());
const clinicDateOf = (iso) => ymdFmt.format(new Date(iso));
const clinicTimeOf = (iso) => new Intl.DateTimeFormat('en-GB', { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
function addDays(ymd, n) {
  const d = new Date(`${ymd}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}
function longDate(ymd) {
  const text = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(new Date(`${ymd}T12:00:00Z`));
  return text.charAt(0).toUpperCase() + text.slice(1);
}
function ageOf(birthDate) {
  if (!birthDate) return undefined;
  const [y, m, d] = birthDate.split('-').map(Number);
  const [ty, tm, td] = clinicToday().split('-').map(Number);
  return ty - y - (tm < m || (tm === m && td < d) ? 1 : 0);
}
const formatCpf = (c) => (/^\d{11}$/.test(c || '') ? `${c.slice(0, 3)}.${c.slice(3, 6)}.${c.slice(6, 9)}-${c.slice(9)}` : c || '');

let flashTimer;
function flash(text, bad = false) {
  const el = $('#flash');
  el.errorSource = null;
  el.textContent = text;
  el.classList.toggle('bad', bad);
  el.hidden = false;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => (el.hidden = true), bad ? 7000 : 3500);
}

// ------------------------------------------------------------------ API

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
    this.field = body?.error?.field;
    this.reason = body?.error?.reason;
    this.params = body?.error?.params;
    this.requestId = body?.error?.requestId;
    this.appointments = body?.error?.appointments; // future-appointments: the ones a status change would leave booked
  }
}

const session = {
  get token() { return sessionStorage.getItem('clinica.token'); },
  set token(v) { if (v) sessionStorage.setItem('clinica.token', v); else sessionStorage.removeItem('clinica.token'); },
  staff: null,
  permissions: [],
};

async function api(method, path, body, headers = {}) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(session.token ? { authorization: `Bearer ${session.token}` } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new ApiError(0, { error: { code: 'offline', message: t('error.offline') } });
  }
  const data = res.status === 204 ? {} : await res.json().catch(() => ({}));
  if (!res.ok) {
    if (res.status === 401 && path !== '/api/login') {
      logout();
    }
    throw new ApiError(res.status, data);
  }
  return { data, etag: res.headers.get('etag') };
}

/** Shows an API error: next to a form (naming the field) or as a flash message. */
function showError(err, target) {
  const message = errorText(err);
  if (target) {
    setError(target, err);
    const form = target.closest('form');
    if (form) {
      for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
      const field = err.field && form.elements.namedItem(err.field === 'at' ? 'date' : err.field);
      if (field && field.setAttribute) {
        field.setAttribute('aria-invalid', 'true');
        field.focus();
      }
    }
  } else {
    flash(message, true);
    $('#flash').errorSource = err;
  }
}

/** Shows an error in its place, remembering it so that a change of language words it again. */
function setError(target, err) {
  target.errorSource = err;
  target.textContent = errorText(err);
  target.hidden = false;
}

/** The errors on screen, in the language just chosen. */
function retranslateErrors() {
  for (const el of document.querySelectorAll('.error, #flash')) if (!el.hidden && el.errorSource) el.textContent = errorText(el.errorSource);
}

function clearError(target) {
  target.errorSource = null;
  target.hidden = true;
  target.textContent = '';
  const form = target.closest('form');
  if (form) for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

/** A random key for one request meant to happen once (Idempotency-Key). crypto.randomUUID needs HTTPS; this does not. */
function requestKey() {
  return [...window.crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Runs a form's request one at a time: its submit buttons are disabled and the form is aria-busy until the
 * answer arrives, so a double click (or an impatient one on a slow link) does not send it twice.
 */
async function whileBusy(form, work) {
  if (form.getAttribute('aria-busy') === 'true') return undefined;
  const buttons = [...form.querySelectorAll('button[type="submit"]')];
  form.setAttribute('aria-busy', 'true');
  for (const b of buttons) b.disabled = true;
  try {
    return await work();
  } finally {
    form.removeAttribute('aria-busy');
    for (const b of buttons) b.disabled = false;
  }
}

/** An answer that says the request's key was used for another request: a new key for the next attempt. */
function renewKeyIfReused(err, form) {
  if (err.reason === 'idempotency-key-reused') form.dataset.requestKey = requestKey();
}

// ------------------------------------------------------------------ session

async function login(token) {
  const { data } = await api('POST', '/api/login', { token });
  session.token = token;
  session.staff = data.staff;
  session.permissions = data.permissions;
}

function logout() {
  session.token = null;
  session.staff = null;
  session.permissions = [];
  stopPolling();
  showLoggedIn(false);
  location.hash = '';
  show('login');
}

function showLoggedIn(on) {
  $('#tabs').hidden = !on;
  $('#logout').hidden = !on;
  $('#who').hidden = !on;
  $('#who').replaceChildren();
  if (on && session.staff) $('#who').append(h('strong', {}, session.staff.name), ` · ${t(`role.${session.staff.role}`)}`);
}

const canDo = (p) => session.permissions.includes(p);

// ------------------------------------------------------------------ views and routing

const views = ['login', 'agenda', 'patients', 'patient', 'failure'];
function show(name) {
  for (const v of views) $(`#view-${v}`).hidden = v !== name;
  for (const a of document.querySelectorAll('#tabs a')) {
    const current = a.dataset.tab === name || (name === 'patient' && a.dataset.tab === 'patients');
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function route() {
  if (!session.token) return show('login');
  stopPolling();
  const hash = location.hash.replace(/^#/, '') || '/agenda';
  const [path, q = ''] = hash.split('?');
  const params = new URLSearchParams(q);
  const patientMatch = /^\/patients\/([^/]+)$/.exec(path);
  try {
    if (patientMatch) await openPatient(decodeURIComponent(patientMatch[1]));
    else if (path.startsWith('/patients')) await openPatients(params.get('q') || '');
    else if (params.get('date') && !plausibleDay(params.get('date'))) showFailure({ key: 'err.date-format', vars: { field: t('book.date') } });
    else await openAgenda(params.get('date') || clinicToday());
  } catch (err) {
    if (err.status !== 401) showFailure(err);
  }
}

/**
 * A view that could not be opened: an empty state with the reason, in place of the view — the previous
 * patient or day must not stay on screen under the new address.
 */
function showFailure(err) {
  current = null;
  stopPolling();
  $('#failure-title').textContent = t(err.status === 404 ? 'failure.notFound' : 'failure.title');
  $('#failure-text').textContent = errorText(err);
  show('failure');
}

// ------------------------------------------------------------------ agenda

let agendaDay = clinicToday();
/** A whole date the agenda can show (a date field being typed into passes through years like 0202). */
const plausibleDay = (day) => /^\d{4}-\d{2}-\d{2}$/.test(day) && day >= '1900-01-01' && day <= '2100-12-31';
const knownDentists = new Set(JSON.parse(localStorage.getItem('clinica.dentists') || '[]'));
function rememberDentist(name) {
  if (name) knownDentists.add(name);
  localStorage.setItem('clinica.dentists', JSON.stringify([...knownDentists].slice(-20)));
  $('#dentists').replaceChildren(...[...knownDentists].map((d) => h('option', { value: d })));
}

let agendaSeq = 0;
async function openAgenda(day) {
  const seq = ++agendaSeq;
  agendaDay = day;
  const { data } = await api('GET', `/api/appointments?date=${encodeURIComponent(day)}`);
  if (seq !== agendaSeq) return; // another day was asked for meanwhile: its answer wins
  show('agenda');
  $('#day').value = day;
  $('#agenda-date').textContent = longDate(day);
  for (const a of data.appointments) if (a.dentist) knownDentists.add(a.dentist);
  rememberDentist();
  const list = $('#agenda-list');
  if (!data.appointments.length) {
    list.replaceChildren(h('div', { class: 'card empty' }, t('agenda.empty')));
    return;
  }
  list.replaceChildren(
    h('p', { class: 'muted' }, t('agenda.count', { n: data.appointments.filter((a) => a.status !== 'cancelled').length })),
    ...data.appointments.map((a) => appointmentRow(a, openAgendaOn)),
  );
}

/** After a booking or a move: the day the appointment is now on (a new address, so Back returns), else this day again. */
function openAgendaOn(day) {
  return day && day !== agendaDay ? (location.hash = `#/agenda?date=${day}`) : openAgenda(agendaDay);
}

function appointmentRow(a, refresh) {
  const end = new Date(Date.parse(a.start) + a.durationMinutes * 60000).toISOString();
  const live = a.status === 'scheduled' || a.status === 'confirmed';
  const begun = Date.parse(a.start) <= Date.now(); // what happened can be told once it has begun
  return h(
    'article',
    { class: `appt ${a.status}`, 'data-appointment': a.id },
    h('div', { class: 'time' }, clinicTimeOf(a.start), h('small', {}, `${clinicTimeOf(end)} · ${a.durationMinutes} ${t('appt.min')}`)),
    h(
      'div',
      { class: 'who' },
      h('a', { href: `#/patients/${encodeURIComponent(a.patientId)}` }, a.patientName || a.patientId),
      h('span', { class: `badge ${a.status}` }, t(`appt.${a.status}`)),
      h('div', { class: 'muted' }, [a.dentist, a.procedure].filter(Boolean).join(' · ')),
    ),
    h(
      'div',
      { class: 'acts' },
      live && begun && h('button', { type: 'button', class: 'btn small', onclick: (e) => act(a, 'done', refresh, e.currentTarget) }, t('appt.markDone')),
      live && begun && h('button', { type: 'button', class: 'btn small', onclick: (e) => act(a, 'no-show', refresh, e.currentTarget) }, t('appt.markNoShow')),
      a.status === 'scheduled' && !begun && h('button', { type: 'button', class: 'btn small', onclick: (e) => act(a, 'confirm', refresh, e.currentTarget) }, t('appt.confirm')),
      live && !begun && h('button', { type: 'button', class: 'btn small', onclick: () => openMove(a, refresh) }, t('appt.move')),
      live && h('button', { type: 'button', class: 'btn small danger', onclick: () => openCancel(a, refresh) }, t('appt.cancel')),
    ),
  );
}

async function act(a, action, refresh, button) {
  if (button) button.disabled = true; // one request per click, however many clicks
  try {
    await api('POST', `/api/appointments/${encodeURIComponent(a.id)}/${action}`, {});
    flash(t({ confirm: 'appt.confirmedMsg', done: 'appt.doneMsg', 'no-show': 'appt.noShowMsg' }[action]));
    await refresh();
  } catch (err) {
    showError(err);
  } finally {
    if (button) button.disabled = false;
  }
}

/** Who, when and with whom: an appointment named in a dialog. */
const appointmentLine = (a) => `${a.patientName || a.patientId} · ${shortFmt().format(new Date(a.start))} · ${a.dentist}`;

/**
 * Cancelling asks first, in the page: a browser confirm() box reads OK / "Cancelar", and in Portuguese
 * "Cancelar" there means *not* to cancel. The buttons say what they do ("Cancelar consulta" / "Manter");
 * the safe one has the focus.
 */
let cancelling = null;
function openCancel(a, refresh) {
  cancelling = { a, refresh };
  const form = $('#cancel-form');
  form.reset();
  clearError($('#cancel-form-error'));
  $('#cancel-what').textContent = appointmentLine(a);
  $('#cancel-dialog').showModal();
  form.querySelector('[data-close]').focus();
}

async function submitCancel(ev) {
  ev.preventDefault();
  const form = ev.target;
  const error = $('#cancel-form-error');
  clearError(error);
  const reason = form.elements.reason.value.trim();
  await whileBusy(form, async () => {
    try {
      await api('POST', `/api/appointments/${encodeURIComponent(cancelling.a.id)}/cancel`, reason ? { reason } : {});
      $('#cancel-dialog').close();
      flash(t('appt.cancelledMsg'));
      await cancelling.refresh();
    } catch (err) {
      showError(err, error);
    }
  });
}

// ------------------------------------------------------------------ booking and moving

let bookPatient = null;
let bookRefresh = null;

function openBook(patient, refresh) {
  const form = $('#book-form');
  form.reset();
  clearError($('#book-form-error'));
  $('#book-force-label').hidden = true;
  bookPatient = patient || null;
  bookRefresh = refresh;
  $('#book-patient-label').hidden = Boolean(patient);
  $('#book-patient-chosen').hidden = !patient;
  $('#book-patient-chosen').textContent = patient ? `${patient.fullName} · ${patient.id}` : '';
  form.elements.date.value = patient || agendaDay < clinicToday() ? clinicToday() : agendaDay;
  form.elements.dentist.value = localStorage.getItem('clinica.lastDentist') || '';
  form.dataset.requestKey = requestKey(); // one booking: a retry of this dialog's request is not a second one
  $('#book-dialog').showModal();
  (patient ? form.elements.time : form.elements.patientSearch).focus();
}

let searchTimer;
function suggestPatients(text) {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    if (text.trim().length < 2) return;
    try {
      const { data } = await api('GET', `/api/patients?limit=15&search=${encodeURIComponent(text.trim())}`);
      $('#book-patients').replaceChildren(...data.patients.map((p) => h('option', { value: `${p.fullName} · ${p.id}` })));
    } catch {
      /* suggestions are best effort */
    }
  }, 200);
}

async function submitBook(ev) {
  ev.preventDefault();
  const form = ev.target;
  const error = $('#book-form-error');
  clearError(error);
  let patientId = bookPatient?.id;
  if (!patientId) {
    const m = /(P-\d+)\s*$/.exec(form.elements.patientSearch.value);
    if (!m) return showError({ key: 'book.pickPatient', field: 'patientSearch' }, error);
    patientId = m[1];
  }
  const body = {
    patientId,
    at: `${form.elements.date.value} ${form.elements.time.value}`,
    durationMinutes: Number(form.elements.durationMinutes.value),
    dentist: form.elements.dentist.value.trim(),
    procedure: form.elements.procedure.value.trim() || undefined,
    notes: form.elements.notes.value.trim() || undefined,
    force: form.elements.force.checked || undefined,
  };
  if (!form.elements.date.value || !form.elements.time.value) return showError({ key: 'err.required', field: 'at' }, error);
  await whileBusy(form, async () => {
    try {
      await api('POST', '/api/appointments', body, { 'idempotency-key': form.dataset.requestKey });
      localStorage.setItem('clinica.lastDentist', body.dentist);
      rememberDentist(body.dentist);
      $('#book-dialog').close();
      flash(t('appt.booked'));
      if (bookRefresh) await bookRefresh(form.elements.date.value);
    } catch (err) {
      if (err.status === 409) $('#book-force-label').hidden = false;
      renewKeyIfReused(err, form);
      showError(err, error);
    }
  });
}

let moving = null;
function openMove(a, refresh) {
  moving = { a, refresh };
  const form = $('#move-form');
  form.reset();
  clearError($('#move-form-error'));
  $('#move-force-label').hidden = true;
  $('#move-what').textContent = appointmentLine(a);
  form.elements.date.value = clinicDateOf(a.start);
  form.elements.time.value = clinicTimeOf(a.start);
  $('#move-dialog').showModal();
  form.elements.time.focus();
}

async function submitMove(ev) {
  ev.preventDefault();
  const form = ev.target;
  const error = $('#move-form-error');
  clearError(error);
  await whileBusy(form, async () => {
    try {
      await api('POST', `/api/appointments/${encodeURIComponent(moving.a.id)}/move`, {
        at: `${form.elements.date.value} ${form.elements.time.value}`,
        force: form.elements.force.checked || undefined,
      });
      $('#move-dialog').close();
      flash(t('appt.moved'));
      await moving.refresh(form.elements.date.value);
    } catch (err) {
      if (err.status === 409) $('#move-force-label').hidden = false;
      showError(err, error);
    }
  });
}

// ------------------------------------------------------------------ patients

let searchSeq = 0;
/** Patients per page of the list; "show more" reads the next page. */
const PATIENTS_PAGE = 100;
let patientsQuery = '';

const patientsPath = (q, offset) => `/api/patients?limit=${PATIENTS_PAGE}${offset ? `&offset=${offset}` : ''}&search=${encodeURIComponent(q)}`;

async function openPatients(q) {
  const seq = ++searchSeq;
  show('patients');
  const input = $('#search');
  if (document.activeElement !== input) input.value = q;
  const { data } = await api('GET', patientsPath(q, 0));
  if (seq !== searchSeq) return; // a newer search is under way: its answer wins
  patientsQuery = q;
  const tbody = $('#patients-table tbody');
  if (!data.patients.length) tbody.replaceChildren(h('tr', {}, h('td', { colspan: 5, class: 'empty' }, t('patients.none'))));
  else tbody.replaceChildren(...data.patients.map(patientRow));
  patientsCount(data.total);
}

/** The next page of the same search, added below (a patient already listed is not listed twice). */
async function morePatients() {
  const seq = searchSeq;
  const tbody = $('#patients-table tbody');
  const shown = new Set([...tbody.querySelectorAll('tr[data-patient]')].map((tr) => tr.dataset.patient));
  const button = $('#patients-more');
  button.disabled = true;
  try {
    const { data } = await api('GET', patientsPath(patientsQuery, shown.size));
    if (seq !== searchSeq) return;
    tbody.append(...data.patients.filter((p) => !shown.has(p.id)).map(patientRow));
    patientsCount(data.total);
  } catch (err) {
    showError(err);
  } finally {
    button.disabled = false;
  }
}

function patientsCount(total) {
  const shown = $('#patients-table tbody').querySelectorAll('tr[data-patient]').length;
  $('#patients-count').textContent = total > shown ? t('patients.countSome', { shown, n: total }) : t('patients.count', { n: total });
  $('#patients-more').hidden = shown >= total;
}

function patientRow(p) {
  const href = `#/patients/${encodeURIComponent(p.id)}`;
  const next = p.upcoming?.find((at) => Date.parse(at) >= Date.now()); // the index keeps past ones until pruned
  return h(
    'tr',
    { 'data-patient': p.id, onclick: (e) => { if (e.target.tagName !== 'A') location.hash = href; } },
    h('td', { class: 'mono' }, p.id),
    h('td', {}, h('a', { href }, p.fullName), p.preferredName ? h('span', { class: 'muted' }, ` (${p.preferredName})`) : null,
      p.status !== 'active' ? h('span', { class: 'badge cancelled' }, t(`status.${p.status}`)) : null),
    h('td', { class: 'mono' }, p.cpf || ''),
    h('td', {}, p.phone || ''),
    h('td', {}, next ? shortFmt().format(new Date(next)) : '—'),
  );
}

let current = null; // { patient, etag }
/** A patient just added here, with the ETag of its creation: opened without reading it again (a new record has no appointments). */
let created = null;

async function openPatient(id) {
  let view = created?.patient.id === id ? { ...created, appointments: [] } : null;
  created = null;
  if (!view) {
    const { data, etag } = await api('GET', `/api/patients/${encodeURIComponent(id)}`);
    view = { patient: data.patient, etag: data.etag || etag, appointments: data.appointments || [] };
  }
  current = { patient: view.patient, etag: view.etag };
  $('#thumbs').replaceChildren();
  $('#uploads').replaceChildren();
  renderPatient(view.patient, view.appointments);
  show('patient');
  $('#images-card').hidden = !canDo('images');
  if (canDo('images')) await loadImages({ restart: true });
}

function renderPatient(p, appointments) {
  $('#patient-name').textContent = p.fullName;
  const age = ageOf(p.birthDate);
  $('#patient-sub').textContent = [p.id, age !== undefined ? t('patient.years', { n: age }) : null, t(`status.${p.status}`)].filter(Boolean).join(' · ');
  $('#patient-alerts').replaceChildren(...(p.alerts?.length ? [h('div', { class: 'alerts', role: 'note' }, `${t('patient.alerts')}: ${p.alerts.join(', ')}`)] : []));
  const fact = (key, value) => (value ? [h('dt', {}, t(key)), h('dd', {}, value)] : []);
  const birth = p.birthDate ? new Intl.DateTimeFormat(locale, { timeZone: 'UTC' }).format(new Date(`${p.birthDate}T12:00:00Z`)) : '';
  $('#patient-facts').replaceChildren(
    ...fact('f.preferredName', p.preferredName),
    ...fact('f.birthDate', birth + (age !== undefined ? ` (${t('patient.years', { n: age })})` : '')),
    ...fact('f.cpf', formatCpf(p.cpf)),
    ...fact('f.sex', p.sex ? t(`sex.${p.sex}`) : ''),
    ...fact('f.phone', p.phone),
    ...fact('f.email', p.email),
    ...fact('f.address', p.address),
    ...fact('f.guardian', p.guardian ? [p.guardian.name, p.guardian.relationship, p.guardian.phone].filter(Boolean).join(' · ') : ''),
    ...fact('f.consent', p.consent ? t(p.consent.emailReminders ? 'yes' : 'no') : ''),
    ...fact('f.language', p.language ? languageNames[p.language] ?? p.language : ''),
    ...fact('f.notes', p.notes),
  );
  const list = $('#patient-appts');
  const now = Date.now();
  const sorted = [...appointments].sort((a, b) => Date.parse(b.start) - Date.parse(a.start));
  list.replaceChildren(
    ...(sorted.length
      ? sorted.map((a) =>
          h(
            'li',
            { class: Date.parse(a.start) < now ? 'past' : '' },
            // the date opens that day's agenda, where the appointment is confirmed, moved or cancelled
            h('span', {}, h('a', { class: 'when', href: `#/agenda?date=${clinicDateOf(a.start)}` }, shortFmt().format(new Date(a.start))), h('br'), h('span', { class: 'muted' }, [a.dentist, a.procedure].filter(Boolean).join(' · '))),
            h('span', {}, h('span', { class: `badge ${a.status}` }, t(`appt.${a.status}`))),
          ),
        )
      : [h('li', { class: 'muted' }, t('patient.noAppointments'))]),
  );
}

const GUARDIAN_FIELDS = ['guardian.name', 'guardian.relationship', 'guardian.phone', 'guardian.cpf'];
/** The form's plain fields (the alerts are edited apart: see alertEdit). */
const PATIENT_FIELDS = ['fullName', 'preferredName', 'birthDate', 'cpf', 'sex', 'phone', 'email', 'address', 'notes', 'emailReminders', 'language', 'status', ...GUARDIAN_FIELDS];
/** Each language by its own name (as the form's select shows them), whatever the page's language. */
const languageNames = { 'pt-BR': 'Português', en: 'English' };

/** A patient's values as the form shows them (strings; a boolean for the consent box). */
function formValuesOf(patient) {
  const values = {};
  for (const name of PATIENT_FIELDS) values[name] = patient?.[name] ? String(patient[name]) : '';
  values.cpf = formatCpf(patient?.cpf);
  values.status = patient?.status || 'active';
  for (const name of GUARDIAN_FIELDS) values[name] = patient?.guardian?.[name.slice('guardian.'.length)] || '';
  values['guardian.cpf'] = formatCpf(patient?.guardian?.cpf);
  values.emailReminders = Boolean(patient?.consent?.emailReminders);
  return values;
}

function readForm(form) {
  const values = {};
  for (const name of PATIENT_FIELDS) values[name] = name === 'emailReminders' ? form.elements[name].checked : form.elements[name].value.trim();
  return values;
}

function fillForm(form, values, only = PATIENT_FIELDS) {
  for (const name of only) {
    if (name === 'emailReminders') form.elements[name].checked = values[name];
    else form.elements[name].value = values[name];
  }
}

// Alerts (allergies!) are edited one at a time, as chips: the form keeps what was added and what was removed,
// and an edit sends only that (addAlerts / removeAlerts), so an alert a colleague added meanwhile is never
// dropped by a whole list sent back. Compared as the server compares them: without case or accents.
const alertEdit = { base: [], added: [], removed: [] };
const foldText = (text) => text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
const hasAlert = (list, alert) => list.some((a) => foldText(a) === foldText(alert));
const without = (list, alert) => list.filter((a) => foldText(a) !== foldText(alert));
/** The list the form shows: the record's, less the removed ones, plus the added ones. */
const alertsShown = () => [...alertEdit.base.filter((a) => !hasAlert(alertEdit.removed, a)), ...alertEdit.added];

/** The alerts of the record an edit starts from (or rebases on after a conflict): what the user did is kept. */
function baseAlerts(list) {
  alertEdit.base = [...list];
  alertEdit.added = alertEdit.added.filter((a) => !hasAlert(list, a)); // already there now
  alertEdit.removed = alertEdit.removed.filter((a) => hasAlert(list, a)); // already gone
  renderAlerts();
}

function addAlert(text) {
  const alert = text.trim().replace(/\s+/g, ' ');
  if (!alert || hasAlert(alertsShown(), alert)) return;
  if (hasAlert(alertEdit.removed, alert)) alertEdit.removed = without(alertEdit.removed, alert); // taken out, put back
  else alertEdit.added.push(alert);
  renderAlerts();
}

function removeAlert(alert) {
  if (hasAlert(alertEdit.added, alert)) alertEdit.added = without(alertEdit.added, alert);
  else alertEdit.removed.push(alert);
  renderAlerts();
}

/** An alert typed but not yet added when the form is saved is meant: it is added. */
function takeTypedAlert(form) {
  addAlert(form.elements.newAlert.value);
  form.elements.newAlert.value = '';
}

function renderAlerts() {
  const list = $('#alert-chips');
  const shown = alertsShown();
  list.replaceChildren(
    ...(shown.length
      ? shown.map((alert, i) =>
          h(
            'li',
            { class: `chip${hasAlert(alertEdit.added, alert) ? ' new' : ''}` },
            h('span', {}, alert),
            h('button', {
              type: 'button',
              class: 'chip-remove',
              'aria-label': t('alerts.remove', { alert }),
              title: t('alerts.remove', { alert }),
              onclick: () => {
                removeAlert(alert);
                // the focus goes to the chip that took its place, else to the field for a new one
                const next = $('#alert-chips').querySelectorAll('.chip-remove')[i] ?? $('#alert-chips').querySelectorAll('.chip-remove')[i - 1];
                (next ?? $('#patient-form').elements.newAlert).focus();
              },
            }, '×'),
          ),
        )
      : [h('li', { class: 'muted' }, t('alerts.none'))]),
  );
}

/** The record the edit started from (form values): only fields changed since then are sent. */
let formBase = null;

function openPatientForm(patient) {
  const form = $('#patient-form');
  form.reset();
  clearError($('#patient-form-error'));
  withdrawForce(form);
  $('#patient-dialog-title').textContent = patient ? t('patient.editTitle') : t('patient.new');
  formBase = patient ? formValuesOf(patient) : null;
  if (patient) fillForm(form, formBase);
  alertEdit.added = [];
  alertEdit.removed = [];
  baseAlerts(patient?.alerts || []);
  form.dataset.mode = patient ? 'edit' : 'new';
  form.dataset.requestKey = requestKey(); // one new patient: a retry of this dialog's request is not a second one
  $('#patient-dialog').showModal();
  form.elements.fullName.focus();
}

/**
 * The request body: every filled field for a new patient; for an edit, only what the user changed (null
 * clears). The guardian goes whole (the server replaces it), or null when all its fields were emptied.
 */
function patientBody(values, base) {
  const body = {};
  if (GUARDIAN_FIELDS.some((name) => values[name] !== (base ? base[name] : ''))) {
    const guardian = Object.fromEntries(GUARDIAN_FIELDS.filter((name) => values[name]).map((name) => [name.slice('guardian.'.length), values[name]]));
    if (Object.keys(guardian).length) body.guardian = guardian;
    else if (base) body.guardian = null;
  }
  for (const name of PATIENT_FIELDS) {
    const value = values[name];
    if (GUARDIAN_FIELDS.includes(name) || (base && value === base[name])) continue;
    if (name === 'status' && !base && value === 'active') continue; // the default
    if (name === 'emailReminders') body.emailReminders = value;
    else if (value) body[name] = value;
    else if (base) body[name] = null;
  }
  if (!base && alertEdit.added.length) body.alerts = [...alertEdit.added];
  if (base && alertEdit.added.length) body.addAlerts = [...alertEdit.added];
  if (base && alertEdit.removed.length) body.removeAlerts = [...alertEdit.removed];
  return body;
}

/**
 * A new patient refused as someone already known — the same name and birth date as a stored patient, or a
 * person anonymized at their request: the existing patient is named (with a link) and a button says what
 * adding anyway means. It sends the same values again with `force`; changing who it is withdraws the offer.
 */
function offerForce(err) {
  const link = $('#patient-existing');
  const existing = err.reason === 'duplicate-person' && err.params?.patientId;
  link.hidden = !existing;
  if (existing) {
    link.href = `#/patients/${encodeURIComponent(err.params.patientId)}`;
    link.textContent = t('patient.openExisting', { patientId: err.params.patientId, fullName: err.params.fullName || '' });
  }
  $('#patient-force').textContent = t(err.reason === 'erased-match' ? 'patient.forceErased' : 'patient.force');
  $('#patient-force-box').hidden = false;
  $('#patient-force-box').errorSource = err; // worded again when the language changes
}

function withdrawForce(form) {
  delete form.dataset.force;
  $('#patient-force-box').hidden = true;
  $('#patient-force-box').errorSource = null;
}

async function submitPatient(ev) {
  ev.preventDefault();
  const form = ev.target;
  const error = $('#patient-form-error');
  clearError(error);
  const editing = form.dataset.mode === 'edit';
  const force = !editing && form.dataset.force === 'yes';
  withdrawForce(form);
  takeTypedAlert(form);
  const values = readForm(form);
  // as the CLI: a guardian's phone, CPF or relationship needs the guardian's name
  if (!values['guardian.name'] && GUARDIAN_FIELDS.some((name) => values[name])) return showError({ key: 'err.required', field: 'guardian.name' }, error);
  const body = patientBody(values, editing ? formBase : null);
  if (force) body.force = true;
  await whileBusy(form, async () => {
    try {
      if (editing) {
        if (!Object.keys(body).length) {
          $('#patient-dialog').close();
          return;
        }
        const { data } = await api('PATCH', `/api/patients/${encodeURIComponent(current.patient.id)}`, body, { 'if-match': current.etag });
        current = { patient: data.patient, etag: data.etag };
        $('#patient-dialog').close();
        flash(t('patient.saved'));
        await openPatient(data.patient.id);
      } else {
        const { data, etag } = await api('POST', '/api/patients', body, { 'idempotency-key': form.dataset.requestKey });
        created = { patient: data.patient, etag: data.etag || etag }; // the version just written: its first edit needs no read
        $('#patient-dialog').close();
        flash(t('patient.created', { id: data.patient.id }));
        location.hash = `#/patients/${encodeURIComponent(data.patient.id)}`;
      }
    } catch (err) {
      if (err.status === 409 && editing && err.reason === 'stale') return editConflict(form, values, error);
      if (err.status === 409 && editing && err.reason === 'future-appointments') return askAboutAppointments(err, body);
      renewKeyIfReused(err, form);
      showError(err, error);
      if (!editing && (err.reason === 'duplicate-person' || err.reason === 'erased-match')) offerForce(err);
    }
  });
}

/**
 * A status that takes the patient out of care (archived, inactive, deceased) while appointments are booked
 * ahead: the server refused and saved nothing; the page lists them and the receptionist chooses — cancel them,
 * keep them, or go back to the form. The same change is then sent again with the choice.
 */
let leaving = null;
function askAboutAppointments(err, body) {
  leaving = { err, body };
  clearError($('#leave-form-error'));
  renderLeave();
  $('#leave-dialog').showModal();
  $('#leave-form [data-close]').focus(); // nothing is decided by an Enter
}

function renderLeave() {
  const { err } = leaving;
  $('#leave-what').textContent = errorText(err);
  $('#leave-list').replaceChildren(
    ...(err.appointments || []).map((a) =>
      h(
        'li',
        {},
        h('span', {}, h('span', { class: 'when' }, shortFmt().format(new Date(a.start))), h('br'), h('span', { class: 'muted' }, [a.dentist, a.procedure].filter(Boolean).join(' · '))),
        h('span', {}, h('span', { class: `badge ${a.status}` }, t(`appt.${a.status}`))),
      ),
    ),
  );
}

async function submitLeave(ev) {
  ev.preventDefault();
  const form = ev.target;
  const choice = ev.submitter?.value === 'cancel' ? 'cancel' : 'keep';
  const error = $('#leave-form-error');
  clearError(error);
  await whileBusy(form, async () => {
    try {
      const body = { ...leaving.body, [choice === 'cancel' ? 'cancelAppointments' : 'keepAppointments']: true };
      const { data } = await api('PATCH', `/api/patients/${encodeURIComponent(current.patient.id)}`, body, { 'if-match': current.etag });
      current = { patient: data.patient, etag: data.etag };
      $('#leave-dialog').close();
      $('#patient-dialog').close();
      const n = (choice === 'cancel' ? data.appointmentsCancelled : data.appointmentsKept)?.length ?? 0;
      flash(t(choice === 'cancel' ? 'leave.cancelled' : 'leave.kept', { n }));
      await openPatient(data.patient.id);
    } catch (err) {
      showError(err, error);
    }
  });
}

/**
 * Someone saved the record since this edit began: the dialog stays open with what the user typed; the fresh
 * record (and its ETag) becomes the base, fields the user did not touch show the new values, and the
 * message names the fields the other person changed. Saving again sends only the user's changes; the alerts
 * the user added or removed stay added or removed on the new list.
 */
async function editConflict(form, typed, error) {
  let fresh;
  try {
    fresh = await api('GET', `/api/patients/${encodeURIComponent(current.patient.id)}`);
  } catch (err) {
    return showError(err, error);
  }
  const before = formBase;
  const alertsBefore = alertEdit.base;
  const now = formValuesOf(fresh.data.patient);
  current = { patient: fresh.data.patient, etag: fresh.data.etag || fresh.etag };
  renderPatient(fresh.data.patient, fresh.data.appointments || []);
  const untouched = PATIENT_FIELDS.filter((name) => typed[name] === before[name]);
  fillForm(form, now, untouched);
  formBase = now;
  baseAlerts(fresh.data.patient.alerts || []);
  const theirs = PATIENT_FIELDS.filter((name) => now[name] !== before[name]);
  if (JSON.stringify(alertEdit.base) !== JSON.stringify(alertsBefore)) theirs.push('alerts');
  setError(error, theirs.length ? { key: 'patient.conflictFields', fields: theirs } : { key: 'patient.conflictKept' });
  const submit = form.querySelector('button[type="submit"], button:not([type])');
  if (submit) submit.focus();
}

// ------------------------------------------------------------------ images

const ACCEPTED = ['image/jpeg', 'image/png', 'image/tiff', 'image/webp'];
/** While something is processing the list is read again: soon at first, then less and less often, and not for ever. */
const POLL_FIRST_MS = 1500;
const POLL_MAX_MS = 15_000;
const POLL_FOR_MS = 5 * 60_000;
let pollTimer = null;
let poll = { delay: POLL_FIRST_MS, since: 0 };
const waiting = new Set(); // image ids uploaded and not yet processed
/** Announced uploads whose file is on its way: image id → patient id (told to the server if the PUT fails). */
const sending = new Map();
/** When the list on screen was read, and how long its links work (the server says: 10 minutes). */
let imagesRead = { at: 0, lifeMs: 600_000 };
/** Links past 80% of their life are replaced before they are used. */
const linksOld = (since = imagesRead.at) => Date.now() - since > imagesRead.lifeMs * 0.8;

function stopPolling() {
  clearTimeout(pollTimer);
  pollTimer = null;
}

/**
 * Reads the patient's images and updates the tiles in place. `restart` (a patient opened, an upload done):
 * polling starts again from its first, short delay; it slows down and stops after POLL_FOR_MS.
 */
async function loadImages({ restart = false } = {}) {
  if (!current) return;
  const id = current.patient.id;
  if (restart) poll = { delay: POLL_FIRST_MS, since: Date.now() };
  const { data } = await api('GET', `/api/patients/${encodeURIComponent(id)}/images`);
  if (!current || current.patient.id !== id) return;
  imagesRead = { at: Date.now(), lifeMs: (data.expiresInSeconds || 600) * 1000 };
  renderImages(data.images);
  const pending = data.images.some((i) => i.status === 'processing') || [...waiting].some((w) => !data.images.find((i) => i.id === w && i.status !== 'processing'));
  stopPolling();
  const gaveUp = pending && Date.now() - poll.since >= POLL_FOR_MS;
  $('#images-stale').hidden = !gaveUp;
  if (pending && !gaveUp) {
    pollTimer = setTimeout(() => loadImages().catch(() => {}), poll.delay);
    poll.delay = Math.min(Math.round(poll.delay * 1.5), POLL_MAX_MS);
  }
}

let relinking = null;
/** Reads the list again for fresh links (one read however many thumbnails ask at once). */
function relink() {
  relinking ??= loadImages()
    .catch(() => {})
    .finally(() => (relinking = null));
  return relinking;
}

/** What a tile shows: when this changes the tile is rebuilt, otherwise it is left alone. */
function tileLook(img) {
  const caption = [img.kind ? t(`kind.${img.kind}`) : null, img.takenAt ? img.takenAt.slice(0, 10) : null, img.fileName].filter(Boolean).join(' · ');
  const state = img.status === 'failed' ? `${t('images.failed')}${img.error || img.errorCode ? `: ${imageFailureText(img)}` : ''}` : img.status === 'ready' ? '' : t('images.processing');
  return { caption, state, key: `${img.status}|${caption}|${state}` };
}

function imageTile(img, look) {
  const li = h('li', { 'data-image': img.id, 'data-status': img.status, 'data-look': look.key });
  li.image = img;
  li.linkedAt = imagesRead.at;
  const visual =
    img.status === 'ready' && img.urls?.thumb
      ? h('img', {
          src: img.urls.thumb,
          alt: look.caption || img.id,
          loading: 'lazy',
          width: 320,
          height: 240,
          onload: () => (li.retried = false),
          onerror: () => thumbFailed(li),
        })
      : h('span', { class: `pending${img.status === 'failed' ? ' bad' : ''}` }, look.state);
  li.append(h('button', { type: 'button', disabled: img.status !== 'ready', onclick: () => openImage(li) }, visual, h('span', { class: 'cap' }, look.caption)));
  return li;
}

/** A thumbnail that did not load (its link expired, most likely): the list is read again, once. */
function thumbFailed(li) {
  if (li.retried) return;
  li.retried = true;
  li.broken = true;
  relink();
}

/**
 * The tiles, updated in place: one whose image did not change keeps its element — its thumbnail is not
 * downloaded again and keyboard focus stays on it. Its link is replaced only when old or broken.
 */
function renderImages(images) {
  const list = $('#thumbs');
  if (!images.length) {
    list.replaceChildren(h('li', { class: 'muted' }, t('images.none')));
    return;
  }
  const tiles = new Map([...list.querySelectorAll('li[data-image]')].map((li) => [li.dataset.image, li]));
  for (const el of list.querySelectorAll('li:not([data-image])')) el.remove();
  let previous = null;
  for (const img of images) {
    if (img.status !== 'processing') {
      waiting.delete(img.id);
      for (const row of document.querySelectorAll(`#uploads li[data-image="${img.id}"]`)) row.remove();
    }
    const look = tileLook(img);
    let li = tiles.get(img.id);
    tiles.delete(img.id);
    if (!li || li.dataset.look !== look.key) {
      const fresh = imageTile(img, look);
      if (li) li.replaceWith(fresh);
      li = fresh;
    } else {
      li.image = img; // the newest links, for opening
      const thumb = li.querySelector('img');
      if (thumb && img.urls?.thumb && (li.broken || linksOld(li.linkedAt))) {
        li.broken = false;
        li.linkedAt = imagesRead.at;
        thumb.src = img.urls.thumb;
      }
    }
    const spot = previous ? previous.nextElementSibling : list.firstElementChild;
    if (spot !== li) list.insertBefore(li, spot);
    previous = li;
  }
  for (const gone of tiles.values()) gone.remove();
}

async function openImage(li) {
  if (linksOld()) await relink(); // a page left open: the display link must not have expired
  const img = li.image;
  const caption = tileLook(img).caption;
  const full = $('#image-full');
  full.dataset.image = img.id;
  full.retried = false;
  $('#image-dialog-title').textContent = caption;
  full.src = img.urls.display || img.urls.thumb;
  full.alt = caption;
  $('#image-meta').textContent = [img.width && img.height ? `${img.width} × ${img.height}` : null, img.id].filter(Boolean).join(' · ');
  $('#image-dialog').showModal();
}

/** The display image did not load (an expired link): fresh links, once, and the image again. */
async function displayFailed() {
  const full = $('#image-full');
  if (full.retried || !full.dataset.image) return;
  full.retried = true;
  await relink();
  const li = $(`#thumbs li[data-image="${full.dataset.image}"]`);
  if (li?.image?.urls && $('#image-dialog').open) full.src = li.image.urls.display || li.image.urls.thumb;
}

/** A tooth in FDI notation: permanent 11–18, 21–28, 31–38, 41–48; primary 51–55, 61–65, 71–75, 81–85 (as the CLI). */
const isFdiTooth = (n) => {
  const q = Math.floor(n / 10);
  const i = n % 10;
  return (q >= 1 && q <= 4 && i >= 1 && i <= 8) || (q >= 5 && q <= 8 && i >= 1 && i <= 5);
};

/** The kind, taken-at date and teeth chosen beside the drop zone; undefined (and the error shown) when invalid. */
function uploadOptions() {
  const form = $('#upload-opts');
  const error = $('#upload-error');
  clearError(error);
  const options = { kind: form.elements.kind.value };
  const takenAt = form.elements.takenAt.value;
  if (takenAt) {
    if (takenAt > clinicToday()) {
      showError({ key: 'err.date-future', field: 'takenAt' }, error);
      return undefined;
    }
    options.takenAt = takenAt;
  }
  const parts = form.elements.teeth.value.split(/[\s,;]+/).filter(Boolean);
  for (const part of parts) {
    if (!/^\d{2}$/.test(part) || !isFdiTooth(Number(part))) {
      showError({ key: 'err.tooth-invalid', vars: { value: part }, field: 'teeth' }, error);
      return undefined;
    }
  }
  if (parts.length) options.teeth = [...new Set(parts.map(Number))].sort((a, b) => a - b);
  return options;
}

function uploadFiles(files) {
  if (!current || !files.length) return;
  const options = uploadOptions();
  if (!options) return;
  for (const file of files) uploadOne(current.patient.id, file, options);
}

async function uploadOne(patientId, file, options = {}) {
  const progress = h('progress', { max: 100, value: 0, 'aria-label': file.name });
  const state = h('span', { class: 'state' }, t('images.uploading', { p: 0 }));
  const row = h('li', {}, h('span', {}, file.name), progress, state);
  $('#uploads').append(row);
  const fail = (message) => {
    state.textContent = message;
    state.classList.add('bad');
    progress.remove();
  };
  if (!ACCEPTED.includes(file.type)) return fail(t('images.type', { name: file.type || file.name }));
  let imageId;
  try {
    const { data } = await api('POST', `/api/patients/${encodeURIComponent(patientId)}/images`, {
      fileName: file.name,
      contentType: file.type,
      size: file.size,
      ...options,
    });
    imageId = data.image.id;
    sending.set(imageId, patientId);
    await new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(data.upload.method || 'PUT', data.upload.url);
      for (const [k, v] of Object.entries(data.upload.headers || {})) xhr.setRequestHeader(k, v);
      xhr.upload.addEventListener('progress', (e) => {
        if (!e.lengthComputable) return;
        const p = Math.round((e.loaded / e.total) * 100);
        progress.value = p;
        state.textContent = t('images.uploading', { p });
      });
      xhr.addEventListener('load', () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(t('images.s3failed', { status: xhr.status })))));
      xhr.addEventListener('error', () => reject(new Error(t('error.offline'))));
      xhr.send(file);
    });
    sending.delete(imageId);
    progress.value = 100;
    state.textContent = t('images.processing');
    row.dataset.image = imageId;
    waiting.add(imageId);
    await loadImages({ restart: true });
  } catch (err) {
    fail(errorText(err));
    // the file did not get to storage: the server marks the upload failed now, and the tile says so
    if (imageId && sending.delete(imageId)) {
      await api('POST', uploadFailedPath(patientId, imageId), {}).catch(() => {});
      await loadImages().catch(() => {});
    }
  }
}

const uploadFailedPath = (patientId, imageId) => `/api/patients/${encodeURIComponent(patientId)}/images/${encodeURIComponent(imageId)}/upload-failed`;

/** Leaving the page stops the uploads on their way: the server is told (a keepalive request outlives the page). */
function abandonUploads() {
  for (const [imageId, patientId] of sending) {
    fetch(uploadFailedPath(patientId, imageId), { method: 'POST', keepalive: true, headers: { authorization: `Bearer ${session.token}` } }).catch(() => {});
  }
  sending.clear();
}

// ------------------------------------------------------------------ wiring

function wire() {
  $('#lang-select').addEventListener('change', (e) => {
    locale = e.target.value;
    localStorage.setItem('clinica.locale', locale);
    applyI18n();
    retranslateErrors();
    if ($('#patient-dialog').open) renderAlerts();
    if (!$('#patient-force-box').hidden) offerForce($('#patient-force-box').errorSource);
    if ($('#leave-dialog').open) renderLeave();
    showLoggedIn(Boolean(session.staff));
    route();
  });
  $('#login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const error = $('#login-error');
    clearError(error);
    const token = $('#token').value.trim();
    if (!token) return showError({ key: 'login.empty', field: 'token' }, error);
    return whileBusy(ev.target, async () => {
      try {
        await login(token);
        $('#token').value = '';
        showLoggedIn(true);
        if (!location.hash || location.hash === '#') location.hash = '#/agenda';
        else await route();
      } catch (err) {
        showError(err.status === 401 ? { key: 'login.bad', field: 'token' } : err, error);
      }
    });
  });
  $('#logout').addEventListener('click', logout);
  // "skip to content" moves the focus; as a link to #main it went through the hash router, to the agenda
  $('.skip').addEventListener('click', (e) => {
    e.preventDefault();
    $('#main').focus();
  });
  // typing a date changes the field at every digit (a year passes through 0002, 0020, 0202): only a whole,
  // plausible date that stays a moment is shown, and it replaces the address instead of adding to history
  let dayTyped;
  $('#day').addEventListener('change', (e) => {
    clearTimeout(dayTyped);
    const day = e.target.value;
    if (!plausibleDay(day)) return;
    dayTyped = setTimeout(() => {
      if (day === agendaDay && !$('#view-agenda').hidden) return;
      history.replaceState(null, '', `#/agenda?date=${day}`);
      openAgenda(day).catch((err) => err.status !== 401 && showFailure(err));
    }, 400);
  });
  $('#day-prev').addEventListener('click', () => (location.hash = `#/agenda?date=${addDays(agendaDay, -1)}`));
  $('#day-next').addEventListener('click', () => (location.hash = `#/agenda?date=${addDays(agendaDay, 1)}`));
  $('#day-today').addEventListener('click', () => (location.hash = `#/agenda?date=${clinicToday()}`));
  $('#agenda-book').addEventListener('click', () => openBook(null, openAgendaOn));
  $('#patient-book').addEventListener('click', () => openBook(current.patient, () => openPatient(current.patient.id)));
  $('#patient-add').addEventListener('click', () => openPatientForm(null));
  $('#patient-edit').addEventListener('click', () => openPatientForm(current.patient));
  $('#patient-form').addEventListener('submit', submitPatient);
  $('#patient-force').addEventListener('click', () => {
    const form = $('#patient-form');
    form.dataset.force = 'yes';
    form.requestSubmit();
  });
  // the offer to add anyway was about who this is: another name, birth date or CPF withdraws it
  $('#patient-form').addEventListener('input', (e) => ['fullName', 'birthDate', 'cpf'].includes(e.target.name) && withdrawForce(e.currentTarget));
  $('#alert-add').addEventListener('click', () => {
    const form = $('#patient-form');
    takeTypedAlert(form);
    form.elements.newAlert.focus();
  });
  $('#patient-form').elements.newAlert.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault(); // Enter adds the alert; it does not save the form
    takeTypedAlert(e.currentTarget.form);
  });
  $('#book-form').addEventListener('submit', submitBook);
  $('#move-form').addEventListener('submit', submitMove);
  $('#cancel-form').addEventListener('submit', submitCancel);
  $('#leave-form').addEventListener('submit', submitLeave);
  $('#book-form').elements.patientSearch.addEventListener('input', (e) => suggestPatients(e.target.value));
  for (const btn of document.querySelectorAll('[data-close]')) btn.addEventListener('click', () => btn.closest('dialog').close());
  let typing;
  $('#search').addEventListener('input', (e) => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      const q = e.target.value.trim();
      history.replaceState(null, '', `#/patients${q ? `?q=${encodeURIComponent(q)}` : ''}`);
      openPatients(q).catch((err) => showError(err));
    }, 180);
  });
  $('#search-form').addEventListener('submit', (e) => e.preventDefault());
  $('#patients-more').addEventListener('click', morePatients);
  $('#upload-opts').addEventListener('submit', (e) => e.preventDefault());
  $('#upload-opts').addEventListener('input', () => clearError($('#upload-error')));
  const zone = $('#dropzone');
  zone.addEventListener('click', () => $('#file-input').click());
  zone.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), $('#file-input').click()));
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    uploadFiles([...e.dataTransfer.files]);
  });
  $('#image-full').addEventListener('error', displayFailed);
  $('#images-recheck').addEventListener('click', () => loadImages({ restart: true }).catch((err) => showError(err)));
  window.addEventListener('pagehide', abandonUploads);
  $('#file-input').addEventListener('change', (e) => {
    uploadFiles([...e.target.files]);
    e.target.value = '';
  });
  window.addEventListener('hashchange', () => {
    if (location.hash === '#main') return $('#main').focus(); // the skip link followed without this script's help
    // Back/Forward while a dialog is open: the dialog belongs to the view being left
    for (const d of document.querySelectorAll('dialog[open]')) d.close();
    // a result clicked while a typed search is still pending: the pending search must not pull the list back
    clearTimeout(typing);
    route();
  });
}

async function start() {
  $('#clinic-name').textContent = CLINIC;
  applyI18n();
  rememberDentist();
  wire();
  if (session.token) {
    try {
      const { data } = await api('GET', '/api/me');
      session.staff = data.staff;
      session.permissions = data.permissions;
      showLoggedIn(true);
    } catch {
      session.token = null;
    }
  }
  await route();
}

start();
