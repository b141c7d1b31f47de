import type { EvalReport, Metrics } from "./score-eval.js";

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;

/** The report `enso eval` prints: one column overall and one per language, then each miss. */
export function formatReport(report: EvalReport): string {
  const columns: [string, Metrics][] = [["all", report.all], ["fr", report.byLanguage.fr], ["en", report.byLanguage.en]];
  const rows: [string, (m: Metrics) => string][] = [
    ["questions", (m) => String(m.questions)],
    ["in-scope accuracy", (m) => `${pct(m.inScopeAccuracy)} of ${m.inScope}`],
    ["escalation recall", (m) => `${pct(m.escalationRecall)} of ${m.outOfScope}`],
    ["escalation precision", (m) => pct(m.escalationPrecision)],
    ["hit@1", (m) => pct(m.hitAt1)],
    ["hit@3", (m) => pct(m.hitAt3)],
    ["MRR", (m) => m.mrr.toFixed(3)],
    ["latency p50", (m) => `${m.latencyP50.toFixed(1)} ms`],
    ["latency p95", (m) => `${m.latencyP95.toFixed(1)} ms`],
  ];
  const width = 22;
  const lines = [`${"".padEnd(width)}${columns.map(([name]) => name.padStart(16)).join("")}`];
  for (const [label, value] of rows) lines.push(`${label.padEnd(width)}${columns.map(([, m]) => value(m).padStart(16)).join("")}`);
  lines.push("", report.misses.length === 0 ? "misses: none" : `misses (${report.misses.length}):`);
  for (const miss of report.misses) lines.push(`  - ${miss.id} [expected ${miss.expected}, got ${miss.got}] ${miss.q}\n      ${miss.why}`);
  return lines.join("\n");
}
