import { describe, expect, it } from "vitest";
import { ticketOpenedText } from "../../src/handoff/handoff-messages.js";

const contact = { email: "enso@univ-paris1.fr", requestFormUrl: "https://recherche.pantheonsorbonne.fr" };

describe("the message that tells a researcher a ticket is open", () => {
  it.each(["fr", "en"] as const)("asks them once (%s) to write to ENSO when their address is unknown", (language) => {
    for (const delivered of [true, false]) {
      const text = ticketOpenedText(language, { ref: "ENSO-20261123-7K3QX", inChat: false, waitMinutes: 15, contact, delivered });
      expect(text.split("enso@univ-paris1.fr")).toHaveLength(2);
      expect(text.split("ENSO-20261123-7K3QX").length).toBe(3);
    }
  });

  it("gives the address the answer goes to, and ENSO's, when the address is known", () => {
    const text = ticketOpenedText("fr", { ref: "ENSO-20261123-7K3QX", inChat: true, waitMinutes: 15, email: "alice@univ-paris1.fr", contact, delivered: true });
    expect(text).toContain("alice@univ-paris1.fr");
    expect(text).toContain("Vous pouvez aussi écrire à enso@univ-paris1.fr");
  });
});
