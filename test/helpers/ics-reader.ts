/** A small, strict iCalendar reader for the tests: unfolds lines, reads properties and the VTIMEZONE offset. */
export interface IcsProperty {
  name: string;
  params: Record<string, string>;
  value: string;
}

export interface IcsComponent {
  type: string;
  props: IcsProperty[];
  children: IcsComponent[];
}

export function parseIcs(text: string): IcsComponent {
  if (!text.includes('\r\n')) throw new Error('iCalendar lines must end with CRLF');
  const lines = text.replace(/\r\n[ \t]/g, '').split('\r\n').filter(Boolean);
  for (const raw of text.split('\r\n')) if (Buffer.byteLength(raw) > 75) throw new Error(`line longer than 75 octets: ${raw}`);
  const root: IcsComponent = { type: 'ROOT', props: [], children: [] };
  const stack = [root];
  for (const line of lines) {
    const colon = line.indexOf(':');
    const [name, ...paramParts] = line.slice(0, colon).split(';');
    const value = line.slice(colon + 1);
    const params = Object.fromEntries(paramParts.map((p) => p.split('=') as [string, string]));
    if (name === 'BEGIN') {
      const c: IcsComponent = { type: value, props: [], children: [] };
      stack[stack.length - 1]!.children.push(c);
      stack.push(c);
    } else if (name === 'END') {
      if (stack.pop()!.type !== value) throw new Error(`mismatched END:${value}`);
    } else stack[stack.length - 1]!.props.push({ name: name!, params, value });
  }
  if (stack.length !== 1) throw new Error('unterminated component');
  return root.children[0]!;
}

export const prop = (c: IcsComponent, name: string) => c.props.find((p) => p.name === name);
export const unescapeText = (v: string) => v.replace(/\\n/g, '\n').replace(/\\([,;\\])/g, '$1');

/** The event's start as an instant, and its TZID (if any), resolved through the calendar's VTIMEZONE. */
export function eventStart(text: string): { instant: Date; tzid?: string; event: IcsComponent } {
  const cal = parseIcs(text);
  const event = cal.children.find((c) => c.type === 'VEVENT')!;
  const start = prop(event, 'DTSTART')!;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/.exec(start.value)!;
  const wall = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (m[7] === 'Z') return { instant: new Date(wall), event };
  const tzid = start.params.TZID!;
  const tz = cal.children.find((c) => c.type === 'VTIMEZONE' && prop(c, 'TZID')?.value === tzid);
  if (!tz) throw new Error(`no VTIMEZONE for ${tzid}`);
  const offset = prop(tz.children[0]!, 'TZOFFSETTO')!.value;
  const sign = offset.startsWith('-') ? -1 : 1;
  const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(3, 5)));
  return { instant: new Date(wall - minutes * 60_000), tzid, event };
}
