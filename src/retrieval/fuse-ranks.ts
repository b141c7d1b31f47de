/** The constant of reciprocal rank fusion from Cormack, Clarke and Büttcher (2009). */
export const RRF_K = 60;

/**
 * Reciprocal rank fusion: each list contributes weight / (k + rank) to every key it ranks (weight 1 by default).
 * It orders well, but its value says nothing about confidence.
 *
 * @example fuseRanks([[3, 1], [1, 7]]) // [[1, ...], [3, ...], [7, ...]]
 */
export function fuseRanks(lists: readonly (readonly number[])[], weights: readonly number[] = [], k = RRF_K): [key: number, score: number][] {
  const scores = new Map<number, number>();
  lists.forEach((list, i) => list.forEach((key, index) => scores.set(key, (scores.get(key) ?? 0) + (weights[i] ?? 1) / (k + index + 1))));
  return [...scores].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
}
