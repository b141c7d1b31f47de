import { newStemmer } from "snowball-stemmers";
import { eng, fra } from "stopword";
import type { Language } from "../knowledge/detect-language.js";
import { foldAccents } from "../knowledge/fold-accents.js";

const frenchStemmer = newStemmer("french");
const englishStemmer = newStemmer("english");

/** Words that say nothing about the topic of a question: function words and conversational filler. */
const fillers = [
  "peut", "peux", "puis", "pouvez", "pouvons", "peuvent", "pourrait", "pourrais", "pourriez", "comment", "quoi", "quand",
  "est-ce", "exactement", "svp", "stp", "merci", "bonjour", "bonsoir", "salut", "hello", "hi", "please", "thanks", "thank",
  "exactly", "does", "do", "doe", "can", "could", "would", "est", "c", "ca", "cela", "ceci", "voudrais", "veux", "aimerais",
  "je", "j", "i", "im", "il", "y", "a", "t", "s", "dois", "faut", "need", "want", "tell", "dites", "dis", "savoir", "know",
  "fait", "faire", "fais", "font", "va", "vais", "vont", "passe", "passer", "voit", "sous", "tout", "tous", "toute", "toutes",
  "fois", "déjà", "encore", "toujours", "jamais", "vraiment", "juste", "genre", "chose", "choses", "truc", "ça", "bien",
  "also", "just", "really", "still", "thing", "things", "anymore", "get", "got",
];
const stopWords = new Set([...fra, ...eng, ...fillers]);
const foldedStopWords = new Set([...stopWords].map(foldAccents));
/** The same without English function words, for a question known to be French. */
const frenchStopWords = new Set([...fra, ...fillers]);
const foldedFrenchStopWords = new Set([...frenchStopWords].map(foldAccents));

/** Elided articles and pronouns: "l'hébergement" -> "hébergement", "qu'est" -> "est". */
const elision = /\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)['’](?=\p{L})/giu;

/** Stems that Snowball merges although the words differ in meaning here ("données" and "don"). */
const protectedStems: Record<string, string> = { donnees: "donnee", donnee: "donnee" };

/**
 * Splits text into lower-case word tokens, with elisions and English possessives removed.
 *
 * @example tokenize("L'hébergement d'ENSO's site") // ["hébergement", "enso", "site"]
 */
export function tokenize(text: string): string[] {
  // "AI" in capitals is the acronym (the French "IA"), not the verb "ai" that stop-word lists drop.
  const cleaned = text.replace(/\bAI\b/g, "IA").toLowerCase().replace(elision, "").replace(/['’]s\b/g, "");
  return cleaned.match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * Whether a token is a function word or filler. In a question known to be French, English function
 * words are words like any other: "these" typed without its accent is "thèse", "son" a "son".
 */
export function isStopWord(token: string, language?: Language): boolean {
  const lower = token.toLowerCase();
  const french = language === "fr";
  if ((french ? frenchStopWords : stopWords).has(lower)) return true;
  // A word typed without accents may be a stop word that has them ("ou" for "où"), but a word with
  // accents is never taken for an English one ("thèse" is not "these").
  return !/[^\u0000-\u007f]/.test(lower) && (french ? foldedFrenchStopWords : foldedStopWords).has(lower);
}

/** The index terms of a question: its words but function words, each with its French and English stems. */
export function queryTerms(text: string, language?: Language): string[] {
  return tokenize(text).flatMap((token) => (isStopWord(token, language) ? [] : stemToken(token)));
}

/**
 * The index terms of one token: its French and English Snowball stems (or only those of `language`),
 * accents folded after stemming (stemming needs them). A question gets both: its language is a guess.
 */
export function stemToken(token: string, language?: Language): readonly string[] {
  const key = `${language ?? "*"}:${token}`;
  const cached = stemCache.get(key);
  if (cached) return cached;
  // Snowball in JavaScript costs tens of microseconds a word; a corpus repeats its words.
  if (stemCache.size >= STEM_CACHE_LIMIT) stemCache.clear();
  const stems = Object.freeze(computeStems(token, language));
  stemCache.set(key, stems);
  return stems;
}

/** Bounds the memory a stream of never-seen words (or an attack) can take. */
const STEM_CACHE_LIMIT = 200_000;
const stemCache = new Map<string, readonly string[]>();

function computeStems(token: string, language?: Language): string[] {
  const folded = foldAccents(token);
  const fixed = protectedStems[folded];
  if (fixed) return [fixed];
  if (/^\p{N}+$/u.test(folded) || folded.length <= 2) return [folded];
  const fr = language === "en" ? undefined : foldAccents(frenchStemmer.stem(token));
  const en = language === "fr" ? undefined : foldAccents(englishStemmer.stem(folded));
  return [...new Set([fr, en].filter((stem): stem is string => stem !== undefined))];
}

/**
 * Every index term of a text, stop words left out. With a language (a passage's, whose language
 * is known), only that language's stems: English stems of French words and French stems of
 * English ones only add collisions ("data" and "date" both give "dat" in French).
 */
export function indexTerms(text: string, language?: Language): string[] {
  return tokenize(text).flatMap((token) => (isStopWord(token) ? [] : stemToken(token, language)));
}
