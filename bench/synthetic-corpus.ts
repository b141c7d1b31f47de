/**
 * Deterministic, text-like synthetic corpora for the retrieval benchmark.
 *
 * Random vectors are the worst case for HNSW (see the shared notes); real passages cluster by
 * topic and share a Zipf-distributed vocabulary. So the passages here are made from the real
 * corpus' own French and English vocabulary, drawn with a Zipf law by frequency rank, mixed with
 * topic words: each of ~200 topics owns a pool of real content words and of rare invented words
 * (project names, jargon), and each passage leans on a handful of "focus" words of its topic.
 * Everything comes from seeded mulberry32 generators: the same seed gives the same corpus, and the
 * corpus of 1,000 passages is the prefix of the one of 10,000.
 */
import type { Corpus } from "../src/knowledge/load-corpus.js";
import type { Chunk } from "../src/knowledge/entry.js";
import { isStopWord, tokenize } from "../src/retrieval/analyze-text.js";

export type Lang = "fr" | "en";
export type Rng = () => number;

/** mulberry32: a tiny, fast 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error("pick from an empty list");
  return item;
}

/** Draws items with probability proportional to 1 / (rank + 1)^s, rank being the position in `items`. */
export class ZipfSampler<T> {
  private readonly cumulative: Float64Array;

  constructor(
    readonly items: readonly T[],
    exponent = 1,
  ) {
    if (items.length === 0) throw new Error("a Zipf sampler needs at least one item");
    this.cumulative = new Float64Array(items.length);
    let total = 0;
    for (let rank = 0; rank < items.length; rank++) {
      total += 1 / Math.pow(rank + 1, exponent);
      this.cumulative[rank] = total;
    }
  }

  sample(rng: Rng): T {
    const target = rng() * (this.cumulative[this.cumulative.length - 1] ?? 0);
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.cumulative[mid] ?? 0) < target) low = mid + 1;
      else high = mid;
    }
    return this.items[low] as T;
  }
}

/** The real corpus' words, per language, most frequent first. */
export interface Vocabulary {
  /** Every word (stop words included), by decreasing frequency. */
  readonly all: Record<Lang, readonly string[]>;
  /** Content words only (no stop words, at least 3 letters). */
  readonly content: Record<Lang, readonly string[]>;
  readonly tokens: Record<Lang, number>;
}

export function vocabularyOf(corpus: Corpus): Vocabulary {
  const counts: Record<Lang, Map<string, number>> = { fr: new Map(), en: new Map() };
  const tokens: Record<Lang, number> = { fr: 0, en: 0 };
  const add = (lang: Lang, text: string) => {
    for (const word of tokenize(text)) {
      if (/^\p{N}+$/u.test(word)) continue;
      counts[lang].set(word, (counts[lang].get(word) ?? 0) + 1);
      tokens[lang]++;
    }
  };
  for (const entry of corpus.entries) {
    add(entry.lang, `${entry.title}\n${entry.body}`);
    for (const question of entry.questions.fr) add("fr", question);
    for (const question of entry.questions.en) add("en", question);
  }
  const ranked = (lang: Lang) => [...counts[lang]].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([word]) => word);
  const all = { fr: ranked("fr"), en: ranked("en") };
  const content = {
    fr: all.fr.filter((word) => word.length >= 3 && !isStopWord(word)),
    en: all.en.filter((word) => word.length >= 3 && !isStopWord(word)),
  };
  if (content.fr.length < 50 || content.en.length < 50) throw new Error("the corpus is too small to draw a vocabulary from");
  return { all, content, tokens };
}

interface Topic {
  readonly id: number;
  readonly lang: Lang;
  /** Real content words of the topic, per language, in their own (random) Zipf order. */
  readonly real: Record<Lang, ZipfSampler<string>>;
  /** Invented words of the topic (shared by both languages, like names and jargon). */
  readonly rare: ZipfSampler<string>;
}

export interface SyntheticChunk extends Chunk {
  readonly topic: number;
  /** The passage's own focus words (what a question about it would name). */
  readonly focus: readonly string[];
}

export interface SyntheticSettings {
  readonly seed: number;
  readonly topics: number;
  /** Real content words per topic and language. */
  readonly realWordsPerTopic: number;
  /** Invented words per topic. */
  readonly rareWordsPerTopic: number;
  /** Share of French passages. */
  readonly frenchShare: number;
}

export const defaultSyntheticSettings: SyntheticSettings = { seed: 20261123, topics: 200, realWordsPerTopic: 40, rareWordsPerTopic: 30, frenchShare: 0.7 };

const onsets = ["b", "br", "c", "ch", "cr", "d", "f", "fl", "g", "gr", "j", "k", "l", "m", "n", "p", "pl", "qu", "r", "s", "st", "t", "tr", "v", "z"];
const vowels = ["a", "e", "i", "o", "u", "ou", "ai", "é", "eu", "au", "y"];
const codas = ["", "", "", "n", "r", "l", "s", "x", "m", "t"];
const suffixes = ["", "", "ation", "ique", "isme", "eur", "age", "oire", "ing", "ity", "ics", "ware", "ology", "ium", "el"];

function inventWord(rng: Rng): string {
  let word = "";
  const syllables = randomInt(rng, 2, 3);
  for (let i = 0; i < syllables; i++) word += pick(rng, onsets) + pick(rng, vowels) + (i === syllables - 1 ? pick(rng, codas) : "");
  return syllables === 2 ? word + pick(rng, suffixes) : word;
}

function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

const openers: Record<Lang, readonly string[]> = {
  fr: ["Comment", "Est-ce que", "Quel est", "Quelle est", "Où trouver", "Pourquoi", "Qui s'occupe de", "Peut-on", "Que faire pour", "Quand"],
  en: ["How do I", "What is", "Where can I find", "Why", "Who handles", "Can we", "What about", "When is", "How can", "Is there"],
};

/**
 * A generator of synthetic passages and questions over one vocabulary. Topics are drawn first from
 * the seed, so that they do not depend on how many passages are asked for.
 */
export class SyntheticCorpus {
  private readonly topics: Topic[] = [];
  private readonly global: Record<Lang, ZipfSampler<string>>;
  private readonly topicSampler: ZipfSampler<number>;

  constructor(
    private readonly vocabulary: Vocabulary,
    private readonly settings: SyntheticSettings = defaultSyntheticSettings,
  ) {
    const rng = mulberry32(settings.seed);
    this.global = { fr: new ZipfSampler(vocabulary.all.fr, 1), en: new ZipfSampler(vocabulary.all.en, 1) };
    const invented = new Set<string>();
    const realWords = new Set([...vocabulary.all.fr, ...vocabulary.all.en]);
    for (let id = 0; id < settings.topics; id++) {
      const rare: string[] = [];
      while (rare.length < settings.rareWordsPerTopic) {
        const word = inventWord(rng);
        if (invented.has(word) || realWords.has(word) || isStopWord(word)) continue;
        invented.add(word);
        rare.push(word);
      }
      const real = (lang: Lang) => new ZipfSampler(shuffled(rng, vocabulary.content[lang]).slice(0, settings.realWordsPerTopic), 0.8);
      this.topics.push({ id, lang: rng() < settings.frenchShare ? "fr" : "en", real: { fr: real("fr"), en: real("en") }, rare: new ZipfSampler(rare, 0.7) });
    }
    // Topics of unequal size, as in any real FAQ: a mild Zipf over a shuffled order.
    this.topicSampler = new ZipfSampler(shuffled(rng, this.topics.map((topic) => topic.id)), 0.5);
  }

  /** The first `count` passages of the stream (the same prefix whatever the count). */
  chunks(count: number): SyntheticChunk[] {
    const rng = mulberry32(this.settings.seed ^ 0x9e3779b9);
    const chunks: SyntheticChunk[] = [];
    for (let key = 0; key < count; key++) chunks.push(this.chunk(rng, key));
    return chunks;
  }

  private topic(id: number): Topic {
    const topic = this.topics[id];
    if (!topic) throw new Error(`no topic ${id}`);
    return topic;
  }

  private chunk(rng: Rng, key: number): SyntheticChunk {
    const topic = this.topic(this.topicSampler.sample(rng));
    const lang: Lang = rng() < 0.85 ? topic.lang : topic.lang === "fr" ? "en" : "fr";
    const focus = new Set<string>();
    while (focus.size < 6) focus.add(rng() < 0.5 ? topic.rare.sample(rng) : topic.real[lang].sample(rng));
    const focusWords = [...focus];
    const word = (): string => {
      const roll = rng();
      if (roll < 0.45) return this.global[lang].sample(rng);
      if (roll < 0.65) return pick(rng, focusWords);
      if (roll < 0.85) return topic.real[lang].sample(rng);
      return topic.rare.sample(rng);
    };
    const length = randomInt(rng, 40, 150);
    const sentences: string[] = [];
    let written = 0;
    while (written < length) {
      const size = Math.min(length - written, randomInt(rng, 6, 20));
      const words = Array.from({ length: size }, word);
      sentences.push(`${capitalise(words.join(" "))}.`);
      written += size;
    }
    const titleWords = Array.from({ length: randomInt(rng, 4, 10) }, () => (rng() < 0.5 ? pick(rng, focusWords) : rng() < 0.5 ? topic.real[lang].sample(rng) : this.global[lang].sample(rng)));
    const questionsByLanguage: Record<Lang, string[]> = { fr: [], en: [] };
    const questionCount = randomInt(rng, 0, 3);
    for (let i = 0; i < questionCount; i++) {
      const qLang: Lang = rng() < 0.6 ? lang : lang === "fr" ? "en" : "fr";
      const words = Array.from({ length: randomInt(rng, 3, 9) }, () => (rng() < 0.5 ? pick(rng, focusWords) : rng() < 0.6 ? topic.real[qLang].sample(rng) : this.global[qLang].sample(rng)));
      questionsByLanguage[qLang].push(`${pick(rng, openers[qLang])} ${words.join(" ")} ?`);
    }
    const tags = [...new Set(Array.from({ length: randomInt(rng, 1, 3) }, () => pick(rng, focusWords)))];
    return {
      id: `synthetic-${key}#1`,
      entryId: `synthetic-${key}`,
      title: capitalise(titleWords.join(" ")),
      lang,
      document: `Synthetic topic ${topic.id}`,
      tags,
      questions: [...questionsByLanguage.fr, ...questionsByLanguage.en],
      questionsByLanguage,
      text: sentences.join(" "),
      topic: topic.id,
      focus: focusWords,
    };
  }

  /**
   * `count` short questions (4 to 12 words, opener included) about random passages of `chunks`:
   * the words of the passage, or for a `paraphraseShare` of them partly other words of its topic.
   */
  questions(chunks: readonly SyntheticChunk[], count: number, seed: number, paraphraseShare = 0.4): { question: string; source: number; paraphrased: boolean }[] {
    const rng = mulberry32(seed);
    const out: { question: string; source: number; paraphrased: boolean }[] = [];
    while (out.length < count) {
      const source = Math.floor(rng() * chunks.length);
      const chunk = chunks[source];
      if (!chunk) continue;
      const topic = this.topic(chunk.topic);
      const own = tokenize(`${chunk.title} ${chunk.text}`).filter((word) => word.length >= 3 && !isStopWord(word));
      if (own.length === 0) continue;
      const lang: Lang = rng() < 0.75 ? chunk.lang : chunk.lang === "fr" ? "en" : "fr";
      const opener = pick(rng, openers[lang]);
      const openerWords = opener.split(" ").length;
      const wanted = Math.max(1, randomInt(rng, 4, 12) - openerWords);
      const paraphrased = rng() < paraphraseShare;
      const words: string[] = [];
      for (let i = 0; i < wanted; i++) {
        if (paraphrased && rng() < 0.5) words.push(rng() < 0.5 ? topic.real[lang].sample(rng) : topic.rare.sample(rng));
        else if (rng() < 0.15) words.push(this.global[lang].sample(rng));
        else words.push(pick(rng, own));
      }
      out.push({ question: `${opener} ${words.join(" ")} ?`, source, paraphrased });
    }
    return out;
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
