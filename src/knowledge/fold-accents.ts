/** Lower-cases and removes diacritics: "Thèse" -> "these", "cœur" -> "coeur". */
export function foldAccents(text: string): string {
  return text
    .toLowerCase()
    .replace(/œ/g, "oe")
    .replace(/æ/g, "ae")
    .replace(/ß/g, "ss")
    .normalize("NFD")
    .replace(/\p{M}+/gu, "");
}
