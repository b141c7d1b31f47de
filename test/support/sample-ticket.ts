import { newTicketReference, type Ticket } from "../../src/handoff/ticket.js";

/** A ticket as the desk makes one, for sink and outbox tests. */
export function sampleTicket(overrides: Partial<Ticket> = {}): Ticket {
  const now = new Date();
  return {
    ref: newTicketReference(now),
    createdAt: now,
    updatedAt: now,
    user: { id: "u-alice", name: "Alice Martin", email: "alice.martin@univ-paris1.fr" },
    conversation: { platform: "mattermost", conversationId: "c-dm", threadId: "" },
    site: "univ-paris1",
    reason: "low_confidence",
    language: "fr",
    question: "Puis-je déposer mes données d'enquête <sensibles> sur Nakala ?",
    transcript: [
      { role: "user", text: "Bonjour, qui peut contacter ENSO ?" },
      { role: "assistant", text: "Les chercheurs et chercheuses de l'université." },
    ],
    passages: [{ id: "nakala", title: "Déposer sur Nakala", source: "FAQ ENSO", url: "https://example.org/nakala", bm25: 7.25, vector: 0.61, coverage: 0.5 }],
    status: "open",
    chatRoute: true,
    ...overrides,
  };
}
