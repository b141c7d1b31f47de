import { describe, expect, it } from "vitest";
import { expectedAnswer, statesAnswer } from "../../src/answer/expected-answer.js";
import { bundledAssistant } from "../support/bundled-assistant.js";

describe("the kind of answer a question asks for", () => {
  it.each([
    ["Quand ouvre la bibliothèque le dimanche ?", "date"],
    ["Bonjour. C'est quand la date limite pour l'appel à projets ?", "date"],
    ["When was Science Ensemble created?", "date"],
    ["What year did the CLE offer open?", "date"],
    ["Combien coûte une clé FIDO2 ?", "quantity"],
    ["How many units use eLabFTW?", "quantity"],
    ["Quel est le coût du paramétrage avancé ?", "quantity"],
  ])("%j asks for a %s", (question, kind) => {
    expect(expectedAnswer(question)).toBe(kind);
  });

  it.each([
    "Quand faut-il contacter ENSO pour un projet ?",
    "When should I get in touch with ENSO?",
    "Mes données ne sont pas sensibles, dois-je quand même me soucier de la sécurité ?",
    "Que faire de mes droits d'auteur quand je publie ?",
    "Dans la demande de CLE, faut-il préciser combien de personnes l'utiliseront ?",
    "Qui peut contacter ENSO ?",
    // "quand" and "when" as conjunctions, or asking for a stage; "deadline" and "how much" as context or degree.
    "Quand on est doctorant, peut-on faire appel à ENSO ?",
    "Quand ENSO peut-il intervenir dans un projet ?",
    "Mon projet est terminé, c'est quand même possible de vous contacter pour un bug ?",
    "When does ENSO get involved in a project?",
    "My ANR deadline is in three weeks: can ENSO help me write the data management plan?",
    "How much help can ENSO give a PhD student?",
    "Combien ENSO peut-il m'aider pour ma thèse ?",
  ])("%j asks for neither", (question) => {
    expect(expectedAnswer(question)).toBeUndefined();
  });

  it("finds a number or a price in a passage, but not in a name such as Paris 1", () => {
    expect(statesAnswer("quantity", "coût unitaire de 25€")).toBe(true);
    expect(statesAnswer("quantity", "L'offre de service est gratuite pour les unités.")).toBe(true);
    expect(statesAnswer("quantity", "les chercheurs de Paris 1 Panthéon-Sorbonne et les étudiants de M2")).toBe(false);
    expect(statesAnswer("quantity", "des clés FIDO2")).toBe(false);
    expect(statesAnswer("quantity", "Écrivez à enso@univ-paris1.fr ou sur https://recherche.pantheonsorbonne.fr/page/42")).toBe(false);
    expect(statesAnswer("quantity", "un ou plusieurs collègues examinent la demande")).toBe(true);
  });

  it("finds a date in a passage, not a stage of a project", () => {
    expect(statesAnswer("date", "33 SAAS, 25 ON PREMISE, 58 unités au 06/09/2023.")).toBe(true);
    expect(statesAnswer("date", "Des formations auront lieu en septembre.")).toBe(true);
    expect(statesAnswer("date", "ENSO intervient à tous les stades du projet.")).toBe(false);
    expect(statesAnswer("date", "un marché public pour un paramétrage à 2000€")).toBe(false);
  });
});

describe("the offline answerer with a question asking for a date or a quantity", () => {
  const assistant = bundledAssistant("enso-expected-");

  it("answers when the passage states one", async () => {
    const answer = await assistant().ask("Quand la plateforme Science Ensemble a-t-elle été créée ?");
    expect(answer.decision).toBe("answered");
    expect(answer.citations[0]?.id).toMatch(/^se-/);
  });

  it("answers from an entry that says it answers such questions, though it gives no figure", async () => {
    const answer = await assistant().ask("Combien de temps et d'argent prévoir pour le volet numérique de mon projet ?");
    expect(answer.decision).toBe("answered");
    expect(answer.citations[0]?.id).toBe("faq-estimation-ressources");
  });

  it("escalates, with a low confidence, when the closest passage states none", async () => {
    const answer = await assistant().ask("How much does ENSO charge for its support?");
    expect(answer).toMatchObject({ decision: "escalated", reason: "low_confidence", citations: [] });
    expect(answer.confidence).toBeLessThan(0.35 / 2 + 1e-9);
  });
});
