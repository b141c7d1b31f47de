import { describe, expect, it } from "vitest";
import type { Answer } from "../../../../src/answer/answer.js";
import { neutralizeMentions } from "../../../../src/bot/channels/mattermost/neutralize-mentions.js";
import { renderForMattermost } from "../../../../src/bot/channels/mattermost/render-for-mattermost.js";
import { splitMessage } from "../../../../src/bot/channels/mattermost/split-message.js";

const options = { maxChars: 500, actionUrl: "http://bot:3978/mattermost/actions", secret: "s3cret-s3cret-s3cret", questionPostId: "q1" };

function answer(text: string): Answer {
  return { decision: "answered", reason: "confident", language: "fr", text, confidence: 0.9, citations: [{ id: "faq-qui-peut-contacter", title: "Qui peut contacter ENSO ?", source: "FAQ ENSO", lang: "fr", text: "…" }] };
}

describe("Mattermost rendering", () => {
  it("neutralises @channel, @all, @here and user mentions but leaves e-mail addresses alone", () => {
    const text = neutralizeMentions("@channel hello @all, (@here) ask @jean.dupont or write to enso@univ-paris1.fr");
    expect(text).not.toMatch(/(^|[\s(,])@(channel|all|here|jean)/);
    expect(text).toContain("enso@univ-paris1.fr");
    expect(text.replace(/\u200b/g, "")).toBe("@channel hello @all, (@here) ask @jean.dupont or write to enso@univ-paris1.fr");
  });

  it("splits a long answer under the post limit at paragraph breaks, with the buttons on the last part only", () => {
    const paragraphs = Array.from({ length: 12 }, (_, i) => `> Paragraphe ${i} : ${"mot ".repeat(20).trim()}`);
    const posts = renderForMattermost({ kind: "answer", answer: answer(paragraphs.join("\n\n")) }, options);
    expect(posts.length).toBeGreaterThan(1);
    for (const post of posts) expect(post.message.length).toBeLessThanOrEqual(500);
    expect(posts.map((p) => p.message).join("\n\n")).toBe(paragraphs.join("\n\n"));
    expect(posts.slice(0, -1).every((p) => p.props === undefined)).toBe(true);
    const actions = (posts.at(-1)?.props?.attachments as { actions: { id: string; integration: { context: Record<string, unknown> } }[] }[])[0]?.actions;
    expect(actions?.map((a) => a.id)).toEqual(["useful", "notuseful", "human"]);
    expect(actions?.[0]?.integration.context).toMatchObject({ action: "useful", secret: options.secret, question_post_id: "q1", cited: "faq-qui-peut-contacter" });
  });

  it("cuts a single overlong word rather than loop", () => {
    expect(splitMessage("x".repeat(1200), 500).map((p) => p.length)).toEqual([500, 500, 200]);
  });

  it("gives plain replies (rate limit, apology) no buttons", () => {
    expect(renderForMattermost({ kind: "text", text: "Désolé @all" }, options)).toEqual([{ message: "Désolé @\u200ball" }]);
  });
});
