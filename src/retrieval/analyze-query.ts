import type { Language } from "../knowledge/detect-language.js";
import type { Glossary } from "../knowledge/glossary.js";
import { isStopWord, stemToken, tokenize } from "./analyze-text.js";

/** One meaningful word of a question, with the index terms that count as finding it. */
export interface QueryTerm {
  readonly text: string;
  /** The word's own stems. */
  readonly stems: readonly string[];
  /** Stems of its glossary equivalents in the other language. */
  readonly expansions: readonly string[];
}

export interface AnalyzedQuery {
  readonly text: string;
  readonly terms: readonly QueryTerm[];
  /** The glossary equivalents found, as words, to append to the searched text. */
  readonly expansionWords: readonly string[];
}

/** At most this many glossary equivalents are added to one question's search. */
export const MAX_EXPANSION_WORDS = 12;

interface GlossaryPhrase {
  readonly stems: readonly (readonly string[])[];
  readonly group: number;
}

/** Prepares the glossary for matching: every term as a sequence of stem sets. */
export interface CompiledGlossary {
  /** Phrases indexed by every stem of their first word, so that a question only tries the phrases that can start at each word. */
  readonly byFirstStem: ReadonlyMap<string, readonly GlossaryPhrase[]>;
  readonly groups: readonly (readonly string[])[];
}

export function compileGlossary(glossary: Glossary): CompiledGlossary {
  const groups = glossary.groups.map((group) => [...group.en, ...group.fr]);
  const byFirstStem = new Map<string, GlossaryPhrase[]>();
  groups.forEach((terms, group) => {
    for (const term of terms) {
      const stems = termStems(term);
      for (const first of stems[0] ?? []) byFirstStem.set(first, [...(byFirstStem.get(first) ?? []), { stems, group }]);
    }
  });
  return { byFirstStem, groups };
}

/**
 * Splits a question into meaningful terms and finds glossary phrases in it, so that
 * "Can PhD students use ENSO?" also searches "doctorant" and "thèse".
 */
export function analyzeQuery(text: string, glossary: CompiledGlossary, language?: Language): AnalyzedQuery {
  const words = tokenize(text).filter((word) => !isStopWord(word, language));
  const stems = words.map((token) => stemToken(token));
  const expansions: string[][] = words.map(() => []);
  const expansionWords = new Set<string>();
  for (let start = 0; start < stems.length; start++) {
    const candidates = new Set((stems[start] ?? []).flatMap((stem) => glossary.byFirstStem.get(stem) ?? []));
    for (const phrase of candidates) {
      if (start + phrase.stems.length > stems.length) continue;
      const matches = phrase.stems.every((wanted, offset) => wanted.some((stem) => stems[start + offset]?.includes(stem)));
      if (!matches) continue;
      const others = (glossary.groups[phrase.group] ?? []).filter((term) => !sameWords(term, words.slice(start, start + phrase.stems.length)));
      const otherStems = others.flatMap((term) => termStems(term).flat());
      for (let offset = 0; offset < phrase.stems.length; offset++) expansions[start + offset]?.push(...otherStems);
      for (const term of others) expansionWords.add(term);
    }
  }
  const own = new Set(stems.flat());
  return {
    text,
    terms: words.map((word, index) => ({ text: word, stems: stems[index] ?? [], expansions: [...new Set(expansions[index])] })),
    // Equivalents the question already contains add nothing but search time; a long tail of them
    // makes every passage match (each extra word costs a pass over its postings).
    expansionWords: [...expansionWords].filter((term) => !tokenize(term).every((token) => stemToken(token).some((stem) => own.has(stem)))).slice(0, MAX_EXPANSION_WORDS),
  };
}

function sameWords(term: string, words: string[]): boolean {
  return tokenize(term).join(" ") === words.join(" ");
}

/** The stems of each meaningful word of a glossary term. */
function termStems(term: string): (readonly string[])[] {
  return tokenize(term).filter((token) => !isStopWord(token)).map((token) => stemToken(token));
}
