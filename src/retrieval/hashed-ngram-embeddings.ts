import { Embeddings } from "@langchain/core/embeddings";
import { foldAccents } from "../knowledge/fold-accents.js";
import { isStopWord, stemToken, tokenize } from "./analyze-text.js";
import type { CorpusAwareEmbedder, TermWeight } from "./embedder.js";

/**
 * The offline default embedder: no weights, no network. Each text becomes a sparse bag of hashed
 * features (word stems, stem bigrams, character 3- and 4-grams of each word), folded into a fixed
 * number of dimensions with a signed hash and L2-normalised. It matches paraphrases and cognates
 * ("organisation"/"organization", "bénéficier"/"benefit") that exact terms miss. Fitted to a
 * corpus, each word counts by its rarity there, so that "ENSO" or "projet" do not make every
 * passage look alike. It knows no meaning, which is what model embedders bring through the same port.
 */
export class HashedNgramEmbeddings extends Embeddings implements CorpusAwareEmbedder {
  readonly id: string;
  readonly dimensions: number;
  private readonly featureCache = new Map<string, TokenFeatures>();

  constructor(
    dimensions = 512,
    private readonly termWeight: TermWeight = () => 1,
  ) {
    super({});
    this.dimensions = dimensions;
    this.id = `builtin-hashed-ngrams-v2-${dimensions}`;
  }

  /** The same embedder with each word weighted by its rarity in the corpus (as TF-IDF does). */
  fitted(termWeight: TermWeight): HashedNgramEmbeddings {
    return new HashedNgramEmbeddings(this.dimensions, termWeight);
  }

  async embedDocuments(documents: string[]): Promise<number[][]> {
    return documents.map((text) => this.embed(text));
  }

  async embedQuery(text: string): Promise<number[]> {
    return this.embed(text);
  }

  /** The synchronous core, for bulk indexing without a promise per text. */
  embed(text: string): number[] {
    const vector = new Float64Array(this.dimensions);
    let previous: string | undefined;
    for (const token of tokenize(text)) {
      const features = this.tokenFeatures(token);
      for (let i = 0; i < features.slots.length; i++) {
        const slot = features.slots[i] ?? 0;
        vector[slot] = (vector[slot] ?? 0) + (features.values[i] ?? 0);
      }
      if (features.head !== undefined) {
        if (previous !== undefined) {
          const hash = fnv1a(`b:${previous}_${features.head}`);
          const slot = (hash >>> 1) % this.dimensions;
          vector[slot] = (vector[slot] ?? 0) + (hash & 1 ? 1 : -1) * 0.5 * features.rarity;
        }
        previous = features.head;
      }
    }
    let norm = 0;
    for (const value of vector) norm += value * value;
    norm = Math.sqrt(norm);
    return Array.from(vector, (value) => (norm > 0 ? value / norm : 0));
  }

  /**
   * A word's own features (its stems and character n-grams), the same wherever it occurs: computed
   * once per distinct word and kept, which makes embedding a large corpus several times faster.
   */
  private tokenFeatures(token: string): TokenFeatures {
    const cached = this.featureCache.get(token);
    if (cached) return cached;
    const slots: number[] = [];
    const values: number[] = [];
    const add = (feature: string, weight: number) => {
      const hash = fnv1a(feature);
      slots.push((hash >>> 1) % this.dimensions);
      values.push((hash & 1 ? 1 : -1) * weight);
    };
    const stop = isStopWord(token);
    const stems = stemToken(token);
    const rarity = stop ? 1 : this.termWeight(stems);
    for (const stem of stems) add(`w:${stem}`, ((stop ? 0.15 : 1) * rarity) / stems.length);
    const folded = `<${foldAccents(token)}>`;
    const grams: string[] = [];
    for (const n of [3, 4]) for (let i = 0; i + n <= folded.length; i++) grams.push(folded.slice(i, i + n));
    const gramWeight = ((stop ? 0.1 : 0.6) * rarity) / Math.sqrt(Math.max(1, grams.length));
    for (const gram of grams) add(`c:${gram}`, gramWeight);
    const features: TokenFeatures = { slots: Int32Array.from(slots), values: Float64Array.from(values), rarity, head: stop ? undefined : (stems[0] ?? "") };
    // Bounded: a stream of odd queries must not grow it forever.
    if (this.featureCache.size >= FEATURE_CACHE_SIZE) this.featureCache.clear();
    this.featureCache.set(token, features);
    return features;
  }
}

interface TokenFeatures {
  readonly slots: Int32Array;
  readonly values: Float64Array;
  readonly rarity: number;
  /** The first stem, which stem bigrams are made of; undefined for a stop word. */
  readonly head: string | undefined;
}

const FEATURE_CACHE_SIZE = 200_000;

/** 32-bit FNV-1a: fast, well spread, stable across runs and machines. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
