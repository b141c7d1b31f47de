/**
 * Breaks every @-mention in text the bot repeats (quoted passages, the user's own words), so that
 * an answer never notifies a whole channel (@channel, @all, @here) or a person. A zero-width space
 * after the @ keeps the text readable; e-mail addresses are left alone.
 */
export function neutralizeMentions(text: string): string {
  // Mattermost finds a mention after any character but a letter or a digit (it also splits words
  // on . - : and trims _), so every such @ is broken; "enso@univ-paris1.fr" is preceded by a letter.
  return text.replace(/(?<![\p{L}\p{N}])@(?=[\p{L}\p{N}._-])/gu, "@\u200b");
}
