const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

/** When staff watch the chat, e.g. "mon-fri 09:00-17:30" in a time zone; several ranges with ";". */
export interface StaffHours {
  readonly ranges: readonly { readonly days: ReadonlySet<number>; readonly from: number; readonly to: number }[];
  readonly timeZone: string;
}

/**
 * Parses "mon-fri 09:00-12:30; mon-thu 14:00-17:30". Throws an Error that says what is wrong.
 *
 * @example parseStaffHours("mon-fri 09:00-17:00", "Europe/Paris")
 */
export function parseStaffHours(text: string, timeZone: string): StaffHours {
  new Intl.DateTimeFormat("en", { timeZone }); // throws RangeError on an unknown zone
  const ranges = text.split(";").map((part) => {
    const match = /^\s*([a-z]{3})(?:-([a-z]{3}))?\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})\s*$/i.exec(part);
    if (!match) throw new Error(`"${part.trim()}" is not like "mon-fri 09:00-17:30"`);
    const first = DAYS.indexOf((match[1] ?? "").toLowerCase() as (typeof DAYS)[number]);
    const last = match[2] ? DAYS.indexOf(match[2].toLowerCase() as (typeof DAYS)[number]) : first;
    if (first < 0 || last < 0) throw new Error(`"${part.trim()}": days are mon, tue, wed, thu, fri, sat, sun`);
    const days = new Set<number>();
    for (let d = first; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === last) break;
    }
    const from = Number(match[3]) * 60 + Number(match[4]);
    const to = Number(match[5]) * 60 + Number(match[6]);
    if (from >= to || to > 24 * 60) throw new Error(`"${part.trim()}": the start must come before the end, within one day`);
    return { days, from, to };
  });
  return { ranges, timeZone };
}

/** True when `at` falls in one of the ranges, in the hours' time zone. */
export function withinStaffHours(hours: StaffHours, at: Date): boolean {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: hours.timeZone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const day = DAYS.indexOf(get("weekday").toLowerCase().slice(0, 3) as (typeof DAYS)[number]);
  const minutes = Number(get("hour")) * 60 + Number(get("minute"));
  return hours.ranges.some((range) => range.days.has(day) && minutes >= range.from && minutes < range.to);
}
