import { randomUUID } from "node:crypto";

/** A Teams user, as activities name them. */
export interface TeamsUser {
  readonly id: string;
  readonly name: string;
  readonly aadObjectId: string;
}

export const TENANT = "7c9a1c2e-4c1b-4b8e-9d3a-2f1e0b6a5d41";
export const BOT = { id: "28:enso-bot-app-id", name: "ENSO" };

let sequence = 0;
/** Teams message ids are milliseconds since the epoch, as strings. */
export const activityId = () => String(Date.now() * 100 + (++sequence % 100));

export function teamsUser(name: string): TeamsUser {
  const aad = randomUUID();
  return { id: `29:${name}-${aad.slice(0, 8)}`, name, aadObjectId: aad };
}

const base = (serviceUrl: string, from: TeamsUser) => ({
  channelId: "msteams",
  serviceUrl,
  from: { id: from.id, name: from.name, aadObjectId: from.aadObjectId },
  recipient: BOT,
  timestamp: new Date().toISOString(),
  locale: "fr-FR",
});

/** A message in the one-to-one chat between `from` and the bot. */
export function personalMessage(serviceUrl: string, from: TeamsUser, text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...base(serviceUrl, from),
    type: "message",
    id: activityId(),
    text,
    textFormat: "plain",
    conversation: { id: `a:dm-${from.aadObjectId}`, conversationType: "personal", tenantId: TENANT },
    channelData: { tenant: { id: TENANT } },
    ...extra,
  };
}

/**
 * A post in a team channel: a new thread (no `threadId`), or a reply in one. `mention` puts
 * "<at>ENSO</at>" before the text with its mention entity, as Teams does.
 */
export function channelMessage(serviceUrl: string, from: TeamsUser, text: string, options: { channel: string; threadId?: string; mention?: boolean; extra?: Record<string, unknown> }): Record<string, unknown> {
  const id = activityId();
  const mention = `<at>${BOT.name}</at>`;
  return {
    ...base(serviceUrl, from),
    type: "message",
    id,
    text: options.mention ? `${mention} ${text}` : text,
    textFormat: "plain",
    conversation: { id: `${options.channel};messageid=${options.threadId ?? id}`, conversationType: "channel", isGroup: true, tenantId: TENANT },
    channelData: { teamsChannelId: options.channel, teamsTeamId: "19:team@thread.tacv2", channel: { id: options.channel }, team: { id: "19:team@thread.tacv2" }, tenant: { id: TENANT } },
    entities: options.mention ? [{ type: "mention", text: mention, mentioned: BOT }] : [],
    ...options.extra,
  };
}

/** A click on an Action.Submit button of the card `cardId`: Teams sends its data as the message's value. */
export function buttonClick(message: Record<string, unknown>, cardId: string, data: Record<string, unknown>): Record<string, unknown> {
  const { text: _text, entities: _entities, ...rest } = message;
  return { ...rest, id: activityId(), replyToId: cardId, value: data };
}
