import type { Chunk, Entry } from "./entry.js";

/** Passages longer than this are split at paragraph boundaries. */
export const MAX_CHUNK_CHARS = 900;

/**
 * Splits an entry into passages: one when it is short (most FAQ entries), otherwise groups of
 * whole paragraphs, a list kept with the sentence that introduces it. Every passage keeps the
 * entry's title, questions and source so that it can be found and cited on its own.
 */
export function splitChunks(entry: Entry): Chunk[] {
  const blocks = entry.body.split(/\n{2,}/).reduce<string[]>((merged, block) => {
    const last = merged.at(-1);
    const isList = /^\s*(?:[-*]|\d+\.)\s/.test(block);
    if (last !== undefined && isList && last.length + block.length < MAX_CHUNK_CHARS) merged[merged.length - 1] = `${last}\n${block}`;
    else merged.push(block);
    return merged;
  }, []);
  const texts: string[] = [];
  for (const block of blocks) {
    const last = texts.at(-1);
    if (last !== undefined && last.length + block.length + 2 <= MAX_CHUNK_CHARS) texts[texts.length - 1] = `${last}\n\n${block}`;
    else texts.push(block);
  }
  const questions = [...entry.questions.fr, ...entry.questions.en];
  return texts.map((text, index) => ({
    id: `${entry.id}#${index + 1}`,
    entryId: entry.id,
    title: entry.title,
    lang: entry.lang,
    document: entry.source.document,
    ...(entry.source.url ? { url: entry.source.url } : {}),
    tags: entry.tags,
    questions,
    questionsByLanguage: entry.questions,
    text,
    ...(entry.scope === "outside" ? { outside: true } : {}),
  }));
}
