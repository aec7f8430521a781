/**
 * "Equipe" (#/equipe, admins only — the server refuses anyone else): the team with role, status, last sign-in and
 * open sessions; invite (the one-time link to copy, with its expiry), change a role, a new invitation (reset),
 * revoke, end someone's sessions; and the API tokens for scripts (create — the token shown once —, list, revoke).
 */
import type {
  ApiTokenInfo,
  CreatedTokenReply,
  CreateTokenRequest,
  EditStaffRequest,
  EndedSessionsReply,
  InviteReply,
  InviteRequest,
  RevokedTokenReply,
  StaffReply,
  StaffRole,
  TeamMember,
  TeamReply,
  TokensReply,
} from '../api-types.js';
import { api, canDo, enc, session } from '../api.js';
import { $, ask, clearError, field, flash, h, renewKeyIfReused, requestKey, setError, showError, whileBusy } from '../dom.js';
import { shortFmt } from '../format.js';
import { t, type ShownError } from '../i18n.js';
import { show } from '../router.js';

const ROLES: StaffRole[] = ['admin', 'dentist', 'assistant', 'reception'];
const when = (iso: string | undefined): string => (iso ? shortFmt().format(new Date(iso)) : t('team.never'));

/** The team as last read (the token form's "acts as" list and the names of token owners come from it). */
let team: TeamMember[] = [];

/** Whether this session may see the Equipe section (its menu entry follows). */
export const mayManageTeam = (): boolean => canDo('staff');

const roleOptions = (selected?: StaffRole) => ROLES.map((r) => h('option', { value: r, selected: r === selected }, t(`role.${r}`)));

function statusText(m: TeamMember): string {
  if (m.status === 'invited' && m.invitationExpiresAt) {
    return Date.parse(m.invitationExpiresAt) > Date.now() ? t('team.st.invitedUntil', { until: when(m.invitationExpiresAt) }) : t('team.st.invitationExpired');
  }
  return t(`team.st.${m.status}`);
}

/** A secret shown once (an invitation link, an API token), with a button that copies it. */
function showSecret(value: string, text: string, note: string): void {
  $('#team-link-text').textContent = text;
  $<HTMLInputElement>('#team-link-value').value = value;
  $('#team-link-note').textContent = note;
  const box = $('#team-link');
  box.hidden = false;
  $<HTMLInputElement>('#team-link-value').select();
  $('#team-link-value').focus();
}

function showInvitation(reply: InviteReply): void {
  const { staff, invitation } = reply;
  showSecret(
    invitation.invitationUrl,
    t('team.linkFor', { name: staff.name, until: when(invitation.expiresAt) }),
    invitation.emailed ? t('team.emailed', { email: staff.email }) : t('team.handOver'),
  );
}

/** Runs one action of a row, its failure in the view's error line; the team is read again after it. */
async function act(work: () => Promise<void>): Promise<void> {
  const error = $('#team-error');
  clearError(error);
  try {
    await work();
  } catch (err) {
    showError(err as ShownError, error);
  }
  await loadTeam().catch((err: ShownError) => setError(error, err));
}

function memberRow(m: TeamMember): HTMLTableRowElement {
  const me = m.id === session.staff?.id;
  const revoked = m.status === 'revoked';
  const role = h('select', { 'aria-label': t('team.roleOf', { name: m.name }), disabled: revoked || me }, roleOptions(m.role));
  role.addEventListener('change', () =>
    void act(async () => {
      const { data } = await api<StaffReply>('PATCH', `/api/staff/${enc(m.id)}`, { role: role.value as StaffRole } satisfies EditStaffRequest);
      flash(t('team.roleChanged', { name: data.staff.name, role: t(`role.${data.staff.role}`) }));
    }),
  );
  const action = (label: 'team.reset' | 'team.endSessions' | 'team.revoke', run: () => Promise<void>, danger = false) =>
    h('button', { type: 'button', class: `btn small${danger ? ' danger' : ''}`, 'data-action': label.slice(5), 'aria-label': t('team.actionLabel', { action: t(label), name: m.name }), onclick: () => void run() }, t(label));
  const actions = me
    ? []
    : [
        action('team.reset', async () => {
          if (!(await ask(t('team.resetAsk', { name: m.name }), t('team.reset')))) return;
          await act(async () => showInvitation((await api<InviteReply>('POST', `/api/staff/${enc(m.id)}/reset`)).data));
        }),
        revoked || !m.openSessions
          ? null
          : action('team.endSessions', () =>
              act(async () => {
                const { data } = await api<EndedSessionsReply>('POST', `/api/staff/${enc(m.id)}/end-sessions`);
                flash(t('team.sessionsEnded', { n: data.ended, name: m.name }));
              }),
            ),
        revoked
          ? null
          : action(
              'team.revoke',
              async () => {
                if (!(await ask(t('team.revokeAsk', { name: m.name }), t('team.revoke')))) return;
                await act(async () => {
                  await api<StaffReply>('POST', `/api/staff/${enc(m.id)}/revoke`);
                  flash(t('team.revoked', { name: m.name }));
                });
              },
              true,
            ),
      ];
  return h(
    'tr',
    { 'data-staff': m.id, class: revoked ? 'revoked' : undefined },
    h('td', {}, h('strong', {}, m.name), me ? h('span', { class: 'badge' }, t('team.you')) : null),
    h('td', {}, m.email ?? '—'),
    h('td', {}, role),
    h('td', { 'data-status': m.status }, statusText(m)),
    h('td', {}, when(m.lastSignInAt)),
    h('td', { class: 'num' }, m.openSessions),
    h('td', { class: 'actions-cell' }, actions),
  );
}

function tokenRow(tk: ApiTokenInfo): HTMLLIElement {
  const owner = team.find((m) => m.id === tk.staffId)?.name ?? tk.staffId;
  const expired = Date.parse(tk.expiresAt) <= Date.now();
  const gone = tk.revokedAt ? t('tokens.revokedOn', { date: when(tk.revokedAt) }) : expired ? t('tokens.expired') : null;
  return h(
    'li',
    { class: `row${gone ? ' revoked' : ''}`, 'data-token': tk.id },
    h('span', {}, h('strong', {}, tk.name), gone ? h('span', { class: 'badge' }, gone) : null, h('br'), h('small', { class: 'muted' }, t('tokens.line', { staff: owner, created: when(tk.createdAt), expires: when(tk.expiresAt) }))),
    gone
      ? null
      : h(
          'button',
          {
            type: 'button',
            class: 'btn small danger',
            'aria-label': t('tokens.revokeLabel', { name: tk.name }),
            onclick: async () => {
              if (!(await ask(t('tokens.revokeAsk', { name: tk.name }), t('tokens.revoke')))) return;
              await act(async () => {
                await api<RevokedTokenReply>('POST', `/api/tokens/${enc(tk.id)}/revoke`);
                flash(t('tokens.revoked', { name: tk.name }));
              });
            },
          },
          t('tokens.revoke'),
        ),
  );
}

async function loadTeam(): Promise<void> {
  const [members, tokens] = await Promise.all([api<TeamReply>('GET', '/api/staff'), api<TokensReply>('GET', '/api/tokens')]);
  team = members.data.staff;
  $('#team-table tbody').replaceChildren(...team.map(memberRow));
  const list = tokens.data.tokens;
  $('#token-list').replaceChildren(...(list.length ? list.map(tokenRow) : [h('li', { class: 'muted' }, t('tokens.none'))]));
  const acting = $<HTMLSelectElement>('#token-staff');
  const chosen = acting.value || session.staff?.id;
  acting.replaceChildren(...team.filter((m) => m.status !== 'revoked').map((m) => h('option', { value: m.id, selected: m.id === chosen }, `${m.name} (${t(`role.${m.role}`)})`)));
}

export async function openTeam(): Promise<void> {
  for (const id of ['team-error', 'invite-error', 'token-error']) clearError($(`#${id}`));
  $('#team-link').hidden = true;
  $<HTMLInputElement>('#team-link-value').value = '';
  show('team', t('team.title'));
  await loadTeam();
}

/** Shows or hides the Equipe menu entry for who is signed in. */
export function showTeamTab(): void {
  $('#tabs a[data-tab=team]').hidden = !mayManageTeam();
}

export function wireTeam(): void {
  const inviteForm = $<HTMLFormElement>('#invite-form');
  const roleSelect = $<HTMLSelectElement>('#invite-role');
  roleSelect.replaceChildren(...roleOptions('reception'));
  inviteForm.dataset.requestKey = requestKey();
  inviteForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const error = $('#invite-error');
    clearError(error);
    const name = field(inviteForm, 'name').value.trim();
    const email = field(inviteForm, 'email').value.trim();
    if (!name) return showError({ key: 'err.required', field: 'name' }, error);
    if (!email) return showError({ key: 'err.required', field: 'email' }, error);
    return whileBusy(inviteForm, async () => {
      try {
        const body: InviteRequest = { name, email, role: roleSelect.value as StaffRole };
        const { data } = await api<InviteReply>('POST', '/api/staff', body, { 'idempotency-key': inviteForm.dataset.requestKey! });
        inviteForm.reset();
        inviteForm.dataset.requestKey = requestKey();
        showInvitation(data);
        await loadTeam();
      } catch (err) {
        renewKeyIfReused(err as { reason?: string }, inviteForm);
        showError(err as ShownError, error);
      }
    });
  });

  const tokenForm = $<HTMLFormElement>('#token-form');
  tokenForm.dataset.requestKey = requestKey();
  tokenForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const error = $('#token-error');
    clearError(error);
    const name = field(tokenForm, 'name').value.trim();
    const days = Number(field(tokenForm, 'days').value || 90);
    if (!name) return showError({ key: 'err.required', field: 'name' }, error);
    return whileBusy(tokenForm, async () => {
      try {
        const body: CreateTokenRequest = { name, staffId: $<HTMLSelectElement>('#token-staff').value, days };
        const { data } = await api<CreatedTokenReply>('POST', '/api/tokens', body, { 'idempotency-key': tokenForm.dataset.requestKey! });
        tokenForm.reset();
        tokenForm.dataset.requestKey = requestKey();
        showSecret(data.token, t('tokens.shown', { name: data.apiToken.name, until: when(data.apiToken.expiresAt) }), '');
        await loadTeam();
      } catch (err) {
        renewKeyIfReused(err as { reason?: string }, tokenForm);
        showError(err as ShownError, error);
      }
    });
  });

  $('#team-link-copy').addEventListener('click', async () => {
    const input = $<HTMLInputElement>('#team-link-value');
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
    } catch {
      document.execCommand('copy'); // plain HTTP on the clinic network has no Clipboard API
    }
    flash(t('team.copied'));
  });
}
