import MiniSearch, { type SearchResult } from "minisearch";
import type { Language } from "../knowledge/detect-language.js";
import type { Chunk } from "../knowledge/entry.js";
import { indexTerms, isStopWord, stemToken, tokenize } from "./analyze-text.js";

/** A passage as MiniSearch indexes it: each field in one language, so that it is stemmed in that language. */
interface IndexedDoc {
  readonly key: number;
  readonly title_fr: string;
  readonly title_en: string;
  readonly questions_fr: string;
  readonly questions_en: string;
  readonly text_fr: string;
  readonly text_en: string;
}

export interface LexicalHit {
  readonly key: number;
  readonly score: number;
  /** The query's index terms (stems) this passage contains. */
  readonly matched: ReadonlySet<string>;
  /** Those found in the entry's title or alternate questions, which say what the entry answers. */
  readonly matchedInQuestions: ReadonlySet<string>;
}

const fieldBoosts = { title_fr: 2, title_en: 2, questions_fr: 1.5, questions_en: 1.5, text_fr: 1, text_en: 1 };

/** Plain BM25 (d = 0): MiniSearch's default BM25+ lets frequent words add up in long questions. */
const bm25Parameters = { k: 1.2, b: 0.7, d: 0 };

const languageOf = (field: string | undefined): Language | undefined => (field?.endsWith("_fr") ? "fr" : field?.endsWith("_en") ? "en" : undefined);

const options = {
  idField: "key",
  fields: Object.keys(fieldBoosts),
  storeFields: [] as string[],
  tokenize: (text: string) => tokenize(text),
  // At indexing time the field names the language; a question (no field) gets both languages' stems.
  processTerm: (term: string, field?: string) => (isStopWord(term) ? null : [...stemToken(term, languageOf(field))]),
};

/** Splits a passage into its per-language fields (the tags go with the title, in the passage's language). */
function toIndexedDoc(chunk: Chunk, key: number): IndexedDoc {
  const [fr, en] = [chunk.lang === "fr", chunk.lang === "en"];
  const title = `${chunk.title}\n${chunk.tags.join(" ")}`;
  return {
    key,
    title_fr: fr ? title : "",
    title_en: en ? title : "",
    questions_fr: chunk.questionsByLanguage.fr.join("\n"),
    questions_en: chunk.questionsByLanguage.en.join("\n"),
    text_fr: fr ? chunk.text : "",
    text_en: en ? chunk.text : "",
  };
}

/**
 * BM25 over French and English stems (MiniSearch), with the document frequency of every stem
 * kept beside it so that the decision policy can weigh how informative each question word is.
 */
export class LexicalIndex {
  private constructor(
    private readonly search: MiniSearch<IndexedDoc>,
    private readonly documentFrequency: Map<string, number>,
  ) {}

  static build(chunks: readonly Chunk[]): LexicalIndex {
    const search = new MiniSearch<IndexedDoc>(options);
    const frequency = new Map<string, number>();
    search.addAll(
      chunks.map((chunk, key) => {
        const doc = toIndexedDoc(chunk, key);
        const terms = new Set(
          (Object.keys(fieldBoosts) as (keyof typeof fieldBoosts)[]).flatMap((field) => indexTerms(doc[field], languageOf(field))),
        );
        for (const term of terms) frequency.set(term, (frequency.get(term) ?? 0) + 1);
        return doc;
      }),
    );
    return new LexicalIndex(search, frequency);
  }

  static fromJSON(json: string): LexicalIndex {
    const { search, documentFrequency } = JSON.parse(json) as { search: unknown; documentFrequency: [string, number][] };
    return new LexicalIndex(MiniSearch.loadJS<IndexedDoc>(search as Parameters<typeof MiniSearch.loadJS>[0], options), new Map(documentFrequency));
  }

  toJSON(): string {
    return JSON.stringify({ search: this.search.toJSON(), documentFrequency: [...this.documentFrequency] });
  }

  get size(): number {
    return this.search.documentCount;
  }

  /** How many passages contain the stem (0 when none does). */
  frequency(stem: string): number {
    return this.documentFrequency.get(stem) ?? 0;
  }

  /** Inverse document frequency of the rarest reading of a word: high for rare or unknown words. */
  weight(stems: readonly string[]): number {
    const count = this.size;
    const df = stems.reduce((most, stem) => Math.max(most, this.frequency(stem)), 0);
    return Math.log(1 + (count - df + 0.5) / (df + 0.5));
  }

  /** BM25 search; `secondary` words (glossary equivalents) count for less than the user's own. */
  query(text: string, secondary: readonly string[], limit: number): LexicalHit[] {
    // An equivalent found in a large share of a large corpus costs a pass over thousands of
    // postings for almost no information (its IDF is low): leave it out, as search engines do.
    const commonAbove = Math.max(50, 0.05 * this.size);
    const useful = secondary.filter((word) => tokenize(word).some((token) => stemToken(token).some((stem) => this.frequency(stem) <= commonAbove)));
    const secondaryTerms = new Set(useful.flatMap((word) => tokenize(word).flatMap((token) => stemToken(token))));
    const own = new Set(indexTerms(text));
    const results: SearchResult[] = this.search.search([text, ...useful].join(" "), {
      boost: fieldBoosts,
      combineWith: "OR",
      boostTerm: (term) => (secondaryTerms.has(term) && !own.has(term) ? 0.6 : 1),
      bm25: bm25Parameters,
    });
    return results.slice(0, limit).map((result) => ({
      key: result.id as number,
      score: result.score,
      matched: new Set(result.queryTerms),
      matchedInQuestions: new Set(Object.entries(result.match).filter(([, fields]) => fields.some((field) => field.startsWith("title") || field.startsWith("questions"))).map(([term]) => term)),
    }));
  }
}
