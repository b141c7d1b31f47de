import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "enso-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("SqliteStore", () => {
  it("remembers answered messages, positions, feedback and settings across a reopen", () => {
    const path = join(dir, "enso.sqlite");
    const first = new SqliteStore(path);
    expect(first.markHandled("mattermost", "p1")).toBe(true);
    expect(first.markHandled("mattermost", "p1")).toBe(false);
    first.advancePosition("mattermost", "c1", 2000);
    first.advancePosition("mattermost", "c1", 1000);
    first.recordFeedback({ platform: "mattermost", messageId: "r1", userId: "u1", value: "useful", question: "Qui ?", citedIds: ["faq-a"], at: new Date(5) });
    first.recordFeedback({ platform: "mattermost", messageId: "r1", userId: "u1", value: "not_useful", at: new Date(6) });
    const secret = first.setting("secret", () => "generated-once");
    first.close();

    const second = new SqliteStore(path);
    expect(second.isHandled("mattermost", "p1")).toBe(true);
    expect(second.isHandled("teams", "p1")).toBe(false);
    expect(second.position("mattermost", "c1")).toBe(2000);
    expect([...second.positions("mattermost")]).toEqual([["c1", 2000]]);
    // A second click by the same user replaces the first; what was asked is kept.
    expect(second.feedbackFor("mattermost", "r1")).toEqual([{ platform: "mattermost", messageId: "r1", userId: "u1", value: "not_useful", question: "Qui ?", citedIds: ["faq-a"], at: new Date(6) }]);
    expect(second.setting("secret", () => "another")).toBe(secret);
    second.close();
  });
});
