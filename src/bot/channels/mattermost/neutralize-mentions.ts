/**
 * Breaks every @-mention in text the bot repeats (quoted passages, the user's own words), so that
 * an answer never notifies a whole channel (@channel, @all, @here) or a person. A zero-width space
 * after the @ keeps the text readable; e-mail addresses are left alone.
 */
export function neutralizeMentions(text: string): string {
  return text.replace(/(^|[^\p{L}\p{N}_.@-])@(?=[\p{L}\p{N}._-])/gu, "$1@\u200b");
}
