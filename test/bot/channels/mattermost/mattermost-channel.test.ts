import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAssistant, type Assistant } from "../../../../src/assistant.js";
import { loadConfig, type Config, type MattermostConfig } from "../../../../src/config.js";
import { createLogger } from "../../../../src/logger.js";
import { startServices, type RunningServices } from "../../../../src/start-services.js";
import { SqliteStore } from "../../../../src/store/sqlite-store.js";
import { FakeMattermostServer, type FakeChannel, type FakeUser } from "../../../support/fake-mattermost-server.js";

const COMMAND_TOKEN = "slash-command-token-0123";
const quiet = createLogger({ logLevel: "silent", logFormat: "json" });
const fastRetry = { minMs: 30, maxMs: 200, jitterMs: 10 };

let dataDir: string;
let assistant: Assistant;
let server: FakeMattermostServer;
let bot: FakeUser;
let alice: FakeUser;
let bob: FakeUser;
let otherBot: FakeUser;
let dm: FakeChannel;
let townSquare: FakeChannel;
let services: RunningServices | undefined;

function configFor(extra: Record<string, string> = {}): Config & { mattermost: MattermostConfig } {
  const config = loadConfig({ ENSO_DATA_DIR: dataDir, ENSO_HTTP_PORT: "0", ENSO_HTTP_HOST: "127.0.0.1", MATTERMOST_URL: server.url, MATTERMOST_TOKEN: bot.token, MATTERMOST_COMMAND_TOKEN: COMMAND_TOKEN, ...extra });
  if (!config.mattermost) throw new Error("Mattermost not configured");
  return { ...config, mattermost: config.mattermost };
}

async function startBot(extra: Record<string, string> = {}): Promise<RunningServices> {
  services = await startServices(configFor(extra), assistant, quiet, { retry: fastRetry });
  await server.waitFor(() => server.openSockets > 0);
  return services;
}

async function stopBot(): Promise<void> {
  await services?.stop();
  services = undefined;
}

/** Waits until the question has its reply, then a little longer to be sure no second one comes. */
async function replyTo(postId: string) {
  await server.waitFor(() => server.repliesTo(postId).length > 0);
  await services?.idle();
  return server.repliesTo(postId);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "enso-mm-"));
  assistant = await createAssistant(loadConfig({ ENSO_DATA_DIR: dataDir }), quiet);
  server = await new FakeMattermostServer().start();
  bot = server.addUser("enso", true);
  alice = server.addUser("alice");
  bob = server.addUser("bob");
  otherBot = server.addUser("github", true);
  dm = server.addChannel("D", `${bot.id}__${alice.id}`, [bot, alice]);
  townSquare = server.addChannel("O", "town-square", [bot, alice, bob, otherBot]);
});

afterEach(stopBot);

afterAll(async () => {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the assistant in Mattermost", () => {
  it("answers a direct message with its sources and French feedback buttons, showing it is typing", async () => {
    await startBot();
    const question = server.userPosts(alice, dm, "Qui peut contacter ENSO ?");
    const [reply, ...more] = await replyTo(question.id);
    expect(more).toHaveLength(0);
    expect(reply?.root_id).toBe("");
    expect(reply?.message).toMatch(/^>/m);
    expect(reply?.message).toMatch(/— .*« .* »/);
    const actions = (reply?.props.attachments as { actions: { name: string }[] }[])[0]?.actions.map((a) => a.name);
    expect(actions).toEqual(["Utile", "Pas utile", "Parler à un humain"]);
    expect(server.typing.some((t) => t.channelId === dm.id && t.userId === bot.id)).toBe(true);
  });

  it("answers an @mention in a channel in the thread of the question, in English, and ignores channel chatter", async () => {
    await startBot();
    const chatter = server.userPosts(bob, townSquare, "Who can contact ENSO? (just wondering aloud, no mention)");
    const question = server.userPosts(alice, townSquare, "@enso Who can contact ENSO?");
    const [reply] = await replyTo(question.id);
    expect(reply?.root_id).toBe(question.id);
    // Asked inside an existing thread: the answer joins that thread, under its root.
    const inThread = server.userPosts(bob, townSquare, "@enso And who pays for it?", { rootId: chatter.id });
    expect((await replyTo(inThread.id))[0]?.root_id).toBe(chatter.id);
    expect((reply?.props.attachments as { actions: { name: string }[] }[])[0]?.actions.map((a) => a.name)).toEqual(["Useful", "Not useful", "Talk to a human"]);
    expect(server.repliesTo(chatter.id)).toHaveLength(0);
  });

  it("answers group messages, and keeps to the allowed channels for mentions", async () => {
    const research = server.addChannel("O", "recherche", [bot, alice, bob]);
    const group = server.addChannel("G", "alice-bob-enso", [bot, alice, bob]);
    await startBot({ MATTERMOST_CHANNELS: "recherche" });
    const elsewhere = server.userPosts(alice, townSquare, "@enso Qui peut contacter ENSO ?");
    const allowed = server.userPosts(alice, research, "@enso Qui peut contacter ENSO ?");
    const inGroup = server.userPosts(bob, group, "Qui peut contacter ENSO ?");
    expect(await replyTo(allowed.id)).toHaveLength(1);
    expect(await replyTo(inGroup.id)).toHaveLength(1);
    expect(server.repliesTo(elsewhere.id)).toHaveLength(0);
  });

  it("ignores its own posts, other bots' posts and system messages", async () => {
    await startBot();
    const fromBot = server.userPosts(otherBot, townSquare, "@enso Qui peut contacter ENSO ?");
    const system = server.userPosts(alice, dm, "alice joined the channel", { type: "system_join_channel" });
    const sentinel = server.userPosts(alice, dm, "Comment demander un cahier de laboratoire électronique ?");
    await replyTo(sentinel.id);
    expect(server.repliesTo(fromBot.id)).toHaveLength(0);
    expect(server.repliesTo(system.id)).toHaveLength(0);
    // The bot's own reply came back to it as a posted event: it answered none of its own posts.
    const botPosts = server.postsBy(bot);
    expect(botPosts.every((p) => typeof p.props.enso_reply_to === "string" && !botPosts.some((q) => q.id === p.props.enso_reply_to))).toBe(true);
  });

  it("recovers from a sequence gap: reconnects, resumes, and answers the question once", async () => {
    await startBot();
    const connections = server.connectionsAccepted;
    server.skipSequence();
    const question = server.userPosts(alice, dm, "Quels sont les coûts du cahier de laboratoire électronique ?");
    const replies = await replyTo(question.id);
    expect(replies).toHaveLength(1);
    // The gap made the client reconnect; the server resumed the same connection and replayed the event.
    expect(server.connectionsAccepted).toBe(connections + 1);
    expect(server.resumedConnections).toBeGreaterThan(0);
  });

  it("catches up by REST after a server restart with a new connection id, answering once", async () => {
    await startBot();
    const before = server.requests.filter((r) => r.endsWith("/posts") && r.startsWith("GET")).length;
    server.restart();
    const question = server.userPosts(alice, dm, "ENSO peut-il héberger le site web de mon projet ?");
    const replies = await replyTo(question.id);
    expect(replies).toHaveLength(1);
    expect(server.requests.filter((r) => r.endsWith("/posts") && r.startsWith("GET")).length).toBeGreaterThan(before);
  });

  it("answers after its own restart the questions asked while it was down, and never one twice", async () => {
    await startBot();
    const answeredBefore = server.userPosts(alice, dm, "Qu'est-ce qu'ENSO ?");
    await replyTo(answeredBefore.id);
    // A crash between posting the reply and recording it: the store forgets the question.
    const db = new Database(join(dataDir, "enso.sqlite"));
    db.prepare("DELETE FROM handled_messages WHERE message_id = ?").run(answeredBefore.id);
    db.close();
    await stopBot();
    const whileDown = [server.userPosts(alice, dm, "Comment contacter ENSO ?"), server.userPosts(alice, townSquare, "@enso Does ENSO help with data management plans?")];
    await startBot();
    for (const post of whileDown) expect(await replyTo(post.id)).toHaveLength(1);
    expect(server.repliesTo(answeredBefore.id)).toHaveLength(1);
  });

  it("sends a reply again after a failed POST, once the connection comes back", async () => {
    await startBot();
    server.failNextPosts(1);
    const question = server.userPosts(alice, dm, "ENSO aide-t-il à rédiger un plan de gestion des données ?");
    await services?.idle();
    expect(server.repliesTo(question.id)).toHaveLength(0);
    server.dropConnections();
    expect(await replyTo(question.id)).toHaveLength(1);
  });

  it("does not answer an edit that adds a mention to a post it had already seen", async () => {
    await startBot();
    const chatter = server.userPosts(bob, townSquare, "Qui peut contacter ENSO, d'après vous ?");
    const sentinel = server.userPosts(alice, dm, "Qu'est-ce qu'ENSO ?");
    await replyTo(sentinel.id);
    server.userEdits(chatter, "@enso Qui peut contacter ENSO, d'après vous ?");
    // The catch-up after a server restart reads the edited post back: it stays unanswered.
    server.restart();
    const after = server.userPosts(alice, dm, "Comment contacter ENSO ?");
    await replyTo(after.id);
    expect(server.repliesTo(chatter.id)).toHaveLength(0);
  });

  it("finishes a split answer whose posting failed halfway, after a restart, without repeating a part", async () => {
    await startBot({ MATTERMOST_MAX_POST_CHARS: "500" });
    server.failPostsAfter(1, 100);
    const question = server.userPosts(alice, dm, "Comment demander un cahier de laboratoire électronique au CNRS ?");
    await server.waitFor(() => server.repliesTo(question.id).length === 1);
    await services?.idle();
    await stopBot();
    server.failPostsAfter(0, 0);
    await startBot({ MATTERMOST_MAX_POST_CHARS: "500" });
    await server.waitFor(() => {
      const parts = server.repliesTo(question.id);
      return parts.length > 0 && parts.length === Number(parts[0]?.props.enso_parts);
    });
    await services?.idle();
    const parts = server.repliesTo(question.id);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.map((p) => p.props.enso_part)).toEqual(parts.map((_, i) => i));
    expect(parts.at(-1)?.props.attachments).toBeDefined();
  });

  it("answers after a restart a question whose reply could not be posted, even after later messages", async () => {
    await startBot();
    server.failNextPosts(1);
    const question = server.userPosts(alice, dm, "ENSO peut-il m'aider pour le RGPD ?");
    await services?.idle();
    expect(server.repliesTo(question.id)).toHaveLength(0);
    // The conversation moves on, ten minutes later: the channel's position passes the failed question
    // by more than the catch-up's overlap.
    server.clock(10 * 60 * 1000);
    const later = server.userPosts(alice, dm, "Qu'est-ce qu'ENSO ?");
    await replyTo(later.id);
    await stopBot();
    await startBot();
    expect(await replyTo(question.id)).toHaveLength(1);
  });

  it("keeps catching up in the other channels when it has lost access to one", async () => {
    const privateChannel = server.addChannel("P", "ancien-projet", [bot, alice]);
    await startBot();
    const there = server.userPosts(alice, privateChannel, "@enso Qu'est-ce qu'ENSO ?");
    await replyTo(there.id);
    await stopBot();
    server.removeMember(privateChannel, bot);
    const question = server.userPosts(alice, dm, "Qui peut contacter ENSO ?");
    await startBot();
    expect(await replyTo(question.id)).toHaveLength(1);
  });

  it("reads back more than a page of posts to find a question asked while it was down", async () => {
    await startBot();
    await stopBot();
    const question = server.userPosts(alice, townSquare, "@enso Qui peut contacter ENSO ?");
    for (let i = 0; i < 1100; i++) server.userPosts(bob, townSquare, `bavardage ${i}`);
    await startBot();
    expect(await replyTo(question.id)).toHaveLength(1);
  });

  it("survives a posted event with an unreadable post", async () => {
    await startBot();
    server.broadcastRaw(dm, { channel_type: "D", post: "null" });
    server.broadcastRaw(dm, { channel_type: "D", post: JSON.stringify({ id: "x", channel_id: dm.id }) });
    server.broadcastRaw(dm, { channel_type: "D", post: "{not json" });
    const question = server.userPosts(alice, dm, "Qui peut contacter ENSO ?");
    expect(await replyTo(question.id)).toHaveLength(1);
  });

  it("records feedback from a button with the right secret, shows it was received, and refuses a wrong secret", async () => {
    const running = await startBot();
    const question = server.userPosts(alice, dm, "Qui peut contacter ENSO ?");
    const [reply] = await replyTo(question.id);
    if (!reply) throw new Error("no reply");

    const forged = await server.clickButton(reply.id, "notuseful", alice, (context) => ({ ...context, secret: "guessed-secret" }));
    expect(forged.status).toBe(403);
    expect(running.store.feedbackFor("mattermost", reply.id)).toHaveLength(0);

    const click = await server.clickButton(reply.id, "notuseful", alice);
    expect(click.status).toBe(200);
    const [feedback] = running.store.feedbackFor("mattermost", reply.id);
    expect(feedback).toMatchObject({ value: "not_useful", userId: alice.id, question: "Qui peut contacter ENSO ?" });
    expect(feedback?.citedIds?.length).toBeGreaterThan(0);
    const updated = server.posts.get(reply.id);
    expect(JSON.stringify(updated?.props.attachments)).toContain("pas utile");
    expect(JSON.stringify(updated?.props.attachments)).not.toContain("integration");
    expect(updated?.message).toBe(reply.message);
  });

  it("tells the user how to reach ENSO when they ask for a human with the button", async () => {
    const running = await startBot();
    const question = server.userPosts(alice, dm, "Qui peut contacter ENSO ?");
    const [reply] = await replyTo(question.id);
    const click = await server.clickButton(reply?.id ?? "", "human", alice);
    expect(String(click.body.ephemeral_text)).toContain("enso@univ-paris1.fr");
    expect(running.store.feedbackFor("mattermost", reply?.id ?? "")[0]?.value).toBe("human");
  });

  it("serves /enso help, ask and status with the command's token, and refuses another token", async () => {
    const running = await startBot();
    const url = `http://127.0.0.1:${running.port}/mattermost/command`;
    const refused = await server.slashCommand(url, "not-the-token-at-all", alice, townSquare, "help");
    expect(refused.status).toBe(401);
    const help = await server.slashCommand(url, COMMAND_TOKEN, alice, townSquare, "help");
    expect(help.body).toMatchObject({ response_type: "ephemeral" });
    expect(String(help.body.text)).toContain("/enso ask");
    const ask = await server.slashCommand(url, COMMAND_TOKEN, alice, townSquare, "ask Qui peut contacter ENSO ?");
    expect(String(ask.body.text)).toMatch(/^>/m);
    const status = await server.slashCommand(url, COMMAND_TOKEN, alice, townSquare, "status");
    expect(String(status.body.text)).toContain("connected");
    const health = (await (await fetch(`http://127.0.0.1:${running.port}/healthz`)).json()) as { mattermost: { connected: boolean } };
    expect(health.mattermost.connected).toBe(true);
  });

  it("answers a user over the rate limit once with a short message, then stays quiet", async () => {
    await startBot({ ENSO_RATE_LIMIT_BURST: "2", ENSO_RATE_LIMIT_PER_MINUTE: "1" });
    const carol = server.addUser("carol");
    const carolDm = server.addChannel("D", `${bot.id}__${carol.id}`, [bot, carol]);
    const posts = ["Qui peut contacter ENSO ?", "Qu'est-ce qu'ENSO ?", "Comment contacter ENSO ?", "ENSO finance-t-il des projets ?"].map((q) => server.userPosts(carol, carolDm, q));
    await server.waitFor(() => server.repliesTo(posts[2]?.id ?? "").length > 0);
    await services?.idle();
    expect(posts.map((p) => server.repliesTo(p.id).length)).toEqual([1, 1, 1, 0]);
    expect(server.repliesTo(posts[2]?.id ?? "")[0]?.message).toMatch(/beaucoup de messages/);
  });

  it("answers an oversized message with a short request to shorten it", async () => {
    await startBot();
    const question = server.userPosts(alice, dm, "ENSO ? ".repeat(3000));
    const [reply] = await replyTo(question.id);
    expect(reply?.message).toMatch(/trop long/);
    expect(reply?.message.length).toBeLessThan(300);
  });

  it("refuses to start with a token Mattermost rejects, naming the variable", async () => {
    const config = configFor({ MATTERMOST_TOKEN: "not-a-valid-token-for-this-server" });
    await expect(startServices(config, assistant, quiet, { retry: fastRetry, store: new SqliteStore(":memory:") })).rejects.toThrow(/MATTERMOST_TOKEN/);
  });
});
