import type { Language } from "../knowledge/detect-language.js";
import type { Chunk } from "../knowledge/entry.js";
import { indexTerms, queryTerms, stemToken, tokenize } from "./analyze-text.js";

export interface LexicalHit {
  readonly key: number;
  readonly score: number;
  /** The query's index terms (stems) this passage contains. */
  readonly matched: ReadonlySet<string>;
  /** Those found in the entry's title or alternate questions, which say what the entry answers. */
  readonly matchedInQuestions: ReadonlySet<string>;
}

/** BM25 parameters (Robertson's usual values). */
const K1 = 1.2;
const B = 0.75;

/** A field of a passage, its weight (BM25F), and whether it says what the entry answers. */
interface Field {
  readonly text: string;
  readonly language: Language;
  readonly weight: number;
  readonly question: boolean;
}

/** The fields of a passage, each in one language so that it is stemmed in that language. */
function fieldsOf(chunk: Chunk): Field[] {
  return [
    { text: `${chunk.title}\n${chunk.tags.join(" ")}`, language: chunk.lang, weight: 2, question: true },
    { text: chunk.questionsByLanguage.fr.join("\n"), language: "fr", weight: 1.5, question: true },
    { text: chunk.questionsByLanguage.en.join("\n"), language: "en", weight: 1.5, question: true },
    { text: chunk.text, language: chunk.lang, weight: 1, question: false },
  ];
}

/** The passages holding one term, sorted by key, with the term's weighted frequency in each. */
interface Postings {
  readonly keys: Int32Array;
  readonly frequencies: Float32Array;
  /** 1 when the term is in the passage's title or alternate questions. */
  readonly inQuestions: Uint8Array;
}

interface Serialized {
  readonly lengths: number[];
  readonly postings: [term: string, keys: number[], frequencies: number[], inQuestions: number[]][];
}

/**
 * BM25F over French and English stems, with top-k scoring over typed-array postings.
 * MiniSearch served first; at 10,000 passages it built and sorted a result object for every passage
 * sharing a word with the question (12 ms p50 against 0.5 ms here, `npm run bench`).
 */
export class LexicalIndex {
  private readonly averageLength: number;
  private readonly scratch: Float64Array;

  private constructor(
    private readonly lengths: Float64Array,
    private readonly postings: ReadonlyMap<string, Postings>,
  ) {
    this.averageLength = lengths.reduce((sum, length) => sum + length, 0) / Math.max(1, lengths.length);
    this.scratch = new Float64Array(lengths.length);
  }

  static build(chunks: readonly Chunk[]): LexicalIndex {
    const lengths = new Float64Array(chunks.length);
    const collected = new Map<string, { keys: number[]; frequencies: number[]; inQuestions: number[] }>();
    chunks.forEach((chunk, key) => {
      const perTerm = new Map<string, { frequency: number; inQuestions: boolean }>();
      for (const field of fieldsOf(chunk)) {
        const terms = indexTerms(field.text, field.language);
        lengths[key] = (lengths[key] ?? 0) + field.weight * terms.length;
        for (const term of terms) {
          const entry = perTerm.get(term) ?? { frequency: 0, inQuestions: false };
          entry.frequency += field.weight;
          entry.inQuestions ||= field.question;
          perTerm.set(term, entry);
        }
      }
      for (const [term, { frequency, inQuestions }] of perTerm) {
        const list = collected.get(term) ?? { keys: [], frequencies: [], inQuestions: [] };
        list.keys.push(key);
        list.frequencies.push(frequency);
        list.inQuestions.push(inQuestions ? 1 : 0);
        collected.set(term, list);
      }
    });
    const postings = new Map<string, Postings>();
    for (const [term, list] of collected) postings.set(term, { keys: Int32Array.from(list.keys), frequencies: Float32Array.from(list.frequencies), inQuestions: Uint8Array.from(list.inQuestions) });
    return new LexicalIndex(lengths, postings);
  }

  static fromJSON(json: string): LexicalIndex {
    const data = JSON.parse(json) as Serialized;
    const postings = new Map<string, Postings>();
    for (const [term, keys, frequencies, inQuestions] of data.postings) {
      postings.set(term, { keys: Int32Array.from(keys), frequencies: Float32Array.from(frequencies), inQuestions: Uint8Array.from(inQuestions) });
    }
    return new LexicalIndex(Float64Array.from(data.lengths), postings);
  }

  toJSON(): string {
    const postings = [...this.postings].map(([term, list]) => [term, [...list.keys], [...list.frequencies], [...list.inQuestions]]);
    return JSON.stringify({ lengths: [...this.lengths], postings });
  }

  get size(): number {
    return this.lengths.length;
  }

  /** The keys of the passages that contain the stem, in increasing order. */
  passagesWith(stem: string): ArrayLike<number> {
    return this.postings.get(stem)?.keys ?? [];
  }

  /** How many passages contain the stem (0 when none does). */
  frequency(stem: string): number {
    return this.postings.get(stem)?.keys.length ?? 0;
  }

  /**
   * Inverse document frequency of a word from the commonest of its readings (its stems and glossary
   * equivalents), so that a word known through a common equivalent does not pass for a rare one.
   */
  weight(stems: readonly string[]): number {
    const count = this.size;
    const df = stems.reduce((most, stem) => Math.max(most, this.frequency(stem)), 0);
    return Math.log(1 + (count - df + 0.5) / (df + 0.5));
  }

  /**
   * The `limit` best passages by BM25F; `secondary` words (glossary equivalents) count for less than
   * the user's own; `language`, the question's when known, decides which function words are left out.
   */
  query(text: string, secondary: readonly string[], limit: number, language?: Language): LexicalHit[] {
    // An equivalent found in a large share of a large corpus costs a pass over thousands of
    // postings for almost no information (its IDF is low): leave it out, as search engines do.
    const commonAbove = Math.max(50, 0.05 * this.size);
    const own = new Set(queryTerms(text, language));
    const weights = new Map([...own].map((term) => [term, 1]));
    for (const word of secondary) {
      for (const token of tokenize(word)) {
        for (const stem of stemToken(token)) if (!weights.has(stem) && this.frequency(stem) <= commonAbove) weights.set(stem, 0.6);
      }
    }
    const scores = this.scratch;
    const touched: number[] = [];
    for (const [term, boost] of weights) {
      const list = this.postings.get(term);
      if (!list) continue;
      const idf = boost * this.weight([term]);
      for (let i = 0; i < list.keys.length; i++) {
        const key = list.keys[i] as number;
        const tf = list.frequencies[i] as number;
        const norm = tf + K1 * (1 - B + (B * (this.lengths[key] as number)) / this.averageLength);
        if (scores[key] === 0) touched.push(key);
        scores[key] = (scores[key] as number) + (idf * tf * (K1 + 1)) / norm;
      }
    }
    const best = topKeys(touched, scores, limit);
    const hits = best.map((key) => {
      const matched = new Set<string>();
      const matchedInQuestions = new Set<string>();
      for (const term of weights.keys()) {
        const list = this.postings.get(term);
        const at = list ? binarySearch(list.keys, key) : -1;
        if (!list || at < 0) continue;
        matched.add(term);
        if (list.inQuestions[at] === 1) matchedInQuestions.add(term);
      }
      return { key, score: scores[key] as number, matched, matchedInQuestions };
    });
    for (const key of touched) scores[key] = 0;
    return hits;
  }
}

/** The `limit` keys of highest score, best first (ties: lower key first). */
function topKeys(keys: readonly number[], scores: Float64Array, limit: number): number[] {
  const better = (a: number, b: number) => (scores[a] as number) > (scores[b] as number) || (scores[a] === scores[b] && a < b);
  const best: number[] = [];
  for (const key of keys) {
    if (best.length === limit && !better(key, best[limit - 1] as number)) continue;
    let at = best.length;
    while (at > 0 && better(key, best[at - 1] as number)) at--;
    best.splice(at, 0, key);
    if (best.length > limit) best.pop();
  }
  return best;
}

function binarySearch(sorted: Int32Array, value: number): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const found = sorted[middle] as number;
    if (found === value) return middle;
    if (found < value) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}
