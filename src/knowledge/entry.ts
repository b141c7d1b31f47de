import { z } from "zod";

/** The front matter every corpus file carries; unknown keys are refused so that typos surface. */
export const frontMatterSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "use lower-case ASCII letters, digits and dashes, e.g. faq-doctorants"),
    title: z.string().trim().min(3, "give the entry a title of at least 3 characters"),
    lang: z.enum(["fr", "en"], { message: "write fr or en (the language of the body)" }),
    source: z
      .object({
        document: z.string().trim().min(1, "name the source document, e.g. FAQ ENSO"),
        url: z.url({ message: "give a full URL starting with https://, or leave url out" }).optional(),
      })
      .strict(),
    tags: z.array(z.string().trim().min(1)).min(1, "give at least one tag").max(10, "keep to 10 tags at most"),
    questions: z
      .object({
        fr: z.array(z.string().trim().min(3)).default([]),
        en: z.array(z.string().trim().min(3)).default([]),
      })
      .strict()
      .default({ fr: [], en: [] }),
    reviewed: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "write the date of the last review as YYYY-MM-DD"),
    /**
     * `outside`: a topic another service of the university handles. Such an entry is never quoted:
     * a question closest to it is escalated as out of scope, naming the entry's title.
     */
    scope: z.enum(["enso", "outside"], { message: "write enso (the default) or outside (a topic of another service, never quoted)" }).default("enso"),
  })
  .strict();

export type FrontMatter = z.infer<typeof frontMatterSchema>;

/** One corpus entry: an FAQ question or a guide section, with the file it came from. */
export interface Entry extends FrontMatter {
  readonly body: string;
  readonly file: string;
}

/** A passage of an entry: what the indexes store and what answers quote. */
export interface Chunk {
  readonly id: string;
  readonly entryId: string;
  readonly title: string;
  readonly lang: "fr" | "en";
  readonly document: string;
  readonly url?: string;
  readonly tags: readonly string[];
  /** The alternate phrasings, French and English together. */
  readonly questions: readonly string[];
  readonly questionsByLanguage: { readonly fr: readonly string[]; readonly en: readonly string[] };
  readonly text: string;
  /** True for a topic of another service (front matter `scope: outside`): found, never quoted. */
  readonly outside?: boolean;
}
