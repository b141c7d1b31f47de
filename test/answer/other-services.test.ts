import { describe, expect, it } from "vitest";
import { bundledAssistant } from "../support/bundled-assistant.js";

describe("the topics of other services on the bundled corpus", () => {
  const assistant = bundledAssistant("enso-other-services-");

  // Researchers' questions that ENSO's documents answer, in words the topics of other services also
  // use (compte, convention, facture, ordinateur de bureau, étudiants).
  it.each([
    ["Faut-il signer une convention avec l'université pour l'hébergement de notre site ?", /^faq-hebergement-site-web$/],
    ["Comment obtenir un compte sur eLabFTW pour mon unité ?", /^cle-/],
    ["Do we need an account to use the electronic lab notebook?", /^cle-/],
    ["Mon ordinateur de bureau contient des données sensibles, comment le sécuriser ?", /^faq-securite-/],
    ["Qui paie la facture du cahier de laboratoire électronique, l'unité ?", /^cle-/],
    ["Mon projet recueille des données sur des étudiants, que dire au DPO ?", /^faq-rgpd-/],
  ])("answers %j from ENSO's own entry", async (question, entry) => {
    const answer = await assistant().ask(question);
    expect(answer.decision).toBe("answered");
    expect(answer.elsewhere).toBeUndefined();
    expect(answer.citations[0]?.id).toMatch(entry);
  });

  it("sends a question with another service's words to that service", async () => {
    const answer = await assistant().ask("Je pars en vacances, je ne pourrai pas rendre à temps les ouvrages empruntés à la BU, que faire ?");
    expect(answer).toMatchObject({ decision: "escalated", reason: "out_of_scope", citations: [] });
    expect(answer.elsewhere).toMatch(/^bibliothèques/);
    expect(answer.text).toContain("(bibliothèques");
  });

  it("names no service for a question none of them holds a word of", async () => {
    const answer = await assistant().ask("What's the capital of Australia?");
    expect(answer).toMatchObject({ decision: "escalated", reason: "out_of_scope" });
    expect(answer.elsewhere).toBeUndefined();
    expect(answer.text).toMatch(/^This question does not seem to be about ENSO/);
  });
});
