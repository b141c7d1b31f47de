import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAssistant, type Assistant } from "../../src/assistant.js";
import { loadConfig, type Config, type MattermostConfig } from "../../src/config.js";
import { EmailSink } from "../../src/handoff/sinks/email-sink.js";
import { TICKET_REFERENCE } from "../../src/handoff/ticket.js";
import { createLogger } from "../../src/logger.js";
import { startServices, type RunningServices } from "../../src/start-services.js";
import { FakeMattermostServer, type FakeChannel, type FakePost, type FakeUser } from "../support/fake-mattermost-server.js";
import { freePort } from "../support/free-port.js";
import { SmtpCapture } from "../support/smtp-capture.js";

const COMMAND_TOKEN = "slash-command-token-0123";
const quiet = createLogger({ logLevel: "silent", logFormat: "json" });

let dataDir: string;
let assistant: Assistant;
let server: FakeMattermostServer;
let smtp: SmtpCapture;
let bot: FakeUser;
let alice: FakeUser;
let marie: FakeUser;
let paul: FakeUser;
let eve: FakeUser;
let dm: FakeChannel;
let staffChannel: FakeChannel;
let services: RunningServices | undefined;
/** Holds every answer until opened: a takeover can then land while an answer is being prepared. */
let gate: Promise<void> | undefined;
/** Called when the assistant starts on a question (while the gate holds it). */
let entered: (() => void) | undefined;
/** A fixed port, as in production: the buttons of cards posted before a restart keep working. */
let httpPort: number;

function configFor(): Config & { mattermost: MattermostConfig } {
  const config = loadConfig({ ENSO_DATA_DIR: dataDir, ENSO_HTTP_PORT: String(httpPort), ENSO_HTTP_HOST: "127.0.0.1", MATTERMOST_URL: server.url, MATTERMOST_TOKEN: bot.token, MATTERMOST_COMMAND_TOKEN: COMMAND_TOKEN, MATTERMOST_STAFF_CHANNEL: "paris1/enso-equipe" });
  if (!config.mattermost) throw new Error("Mattermost not configured");
  return { ...config, mattermost: config.mattermost };
}

async function startBot(): Promise<RunningServices> {
  const gated: Assistant = {
    index: assistant.index,
    ask: async (question, history) => {
      entered?.();
      await gate;
      return assistant.ask(question, history);
    },
  };
  const email = new EmailSink({ smtpUrl: smtp.url, from: "Assistant ENSO <enso-bot@univ-paris1.fr>", to: "enso@univ-paris1.fr" });
  services = await startServices(configFor(), gated, quiet, { retry: { minMs: 30, maxMs: 200, jitterMs: 10 }, sinks: [email], outbox: { baseDelayMs: 40, maxDelayMs: 200 } });
  await server.waitFor(() => server.openSockets > 0);
  return services;
}

async function settle(): Promise<void> {
  await services?.idle();
  await services?.outbox.idle();
  await services?.idle();
}

const postsIn = (channel: FakeChannel, by: FakeUser) => server.postsBy(by, channel);
const cards = () => postsIn(staffChannel, bot).filter((p) => !p.root_id && p.props.enso_ticket);
const thread = (card: FakePost) => [...server.posts.values()].filter((p) => p.root_id === card.id).sort((a, b) => a.create_at - b.create_at);
const buttons = (post: FakePost | undefined) => ((post?.props.attachments ?? []) as { actions?: { id: string; name: string }[] }[]).flatMap((a) => a.actions ?? []);
const botSaysToAlice = () => postsIn(dm, bot).map((p) => p.message);

/** Alice asks for a person; returns the card the staff channel got. */
async function escalate(text = "Je voudrais parler à un humain, s'il vous plaît"): Promise<{ question: FakePost; card: FakePost; ref: string }> {
  const before = cards().length;
  const question = server.userPosts(alice, dm, text);
  await server.waitFor(() => server.repliesTo(question.id).length > 0 && cards().length > before);
  await settle();
  const card = cards().at(-1) as FakePost;
  return { question, card, ref: String(card.props.enso_ticket) };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "enso-takeover-"));
  httpPort = await freePort();
  assistant = await createAssistant(loadConfig({ ENSO_DATA_DIR: dataDir }), quiet);
  server = await new FakeMattermostServer().start();
  smtp = await new SmtpCapture().start();
  bot = server.addUser("enso", true);
  marie = server.addUser("marie");
  paul = server.addUser("paul");
  eve = server.addUser("eve");
  staffChannel = server.addChannel("O", "enso-equipe", [bot, marie, paul]);
});

// A new researcher and direct message for each test: each starts with the conversation with the bot.
beforeEach(() => {
  alice = server.addUser("alice");
  dm = server.addChannel("D", `${bot.id}__${alice.id}`, [bot, alice]);
});

afterEach(async () => {
  gate = undefined;
  entered = undefined;
  await services?.stop();
  services = undefined;
});

afterAll(async () => {
  await server.stop();
  await smtp.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("handing a conversation to ENSO staff in Mattermost", () => {
  it("opens a ticket: the user gets its reference and where the answer will come, the staff channel a card, the mailbox an email", async () => {
    await startBot();
    const { question, card, ref } = await escalate();
    expect(ref).toMatch(TICKET_REFERENCE);
    const [reply, ...more] = server.repliesTo(question.id);
    expect(more).toHaveLength(0);
    expect(reply?.message).toContain(ref);
    expect(reply?.message).toMatch(/ici même/);
    expect(reply?.message).toContain("alice@univ-paris1.fr");
    expect(reply?.message).toContain("enso@univ-paris1.fr");
    expect(buttons(reply)).toEqual([]);

    expect(card.message).toContain("parler à un humain");
    expect(card.message).toContain("la personne a demandé à parler à quelqu'un");
    expect(card.message).toContain("alice@univ-paris1.fr");
    expect(buttons(card).map((b) => b.name)).toEqual(["Prendre en charge", "Résolu"]);

    await server.waitFor(() => smtp.mails.some((m) => m.parsed.headers.get("x-enso-ticket") === ref));
    const mail = smtp.mails.find((m) => m.parsed.headers.get("x-enso-ticket") === ref);
    expect(mail?.parsed.replyTo?.value[0]?.address).toBe("alice@univ-paris1.fr");

    const ticket = services?.desk.ticket(ref);
    expect(ticket).toMatchObject({ status: "open", reason: "user_request", user: { id: alice.id, name: "alice", email: "alice@univ-paris1.fr" }, conversation: { platform: "mattermost", conversationId: dm.id }, site: "univ-paris1" });
    expect(services?.desk.hold({ platform: "mattermost", conversationId: dm.id, threadId: "" })).toEqual({ state: "waiting_human", ticketRef: ref });
  });

  it("gives the ticket to the first of two staff who claim at once, tells the other who has it, and refuses someone outside the staff channel", async () => {
    await startBot();
    const { card, ref } = await escalate();
    const outsider = await server.clickButton(card.id, "claim", eve);
    expect(outsider.body.ephemeral_text).toMatch(/Seuls les membres/);
    expect(services?.desk.ticket(ref)?.status).toBe("open");

    const [a, b] = await Promise.all([server.clickButton(card.id, "claim", marie), server.clickButton(card.id, "claim", paul)]);
    const refused = [a, b].filter((r) => typeof r.body.ephemeral_text === "string");
    expect(refused).toHaveLength(1);
    const winner = services?.desk.ticket(ref)?.assignee?.split("|")[1];
    expect(["marie", "paul"]).toContain(winner);
    expect(refused[0]?.body.ephemeral_text).toBe(`Déjà pris en charge par ${winner}.`);
    await settle();
    expect(botSaysToAlice().at(-1)).toContain(`${winner}, de l'équipe ENSO, a pris en charge votre demande ${ref}`);
    expect(buttons(server.posts.get(card.id)).map((x) => x.name)).toEqual(["Rendre au bot", "Résolu"]);
    // Only the winner's claim is in the audit trail.
    expect(services?.store.tickets.events(ref).filter((e) => e.kind === "claimed")).toHaveLength(1);
    services?.desk.resolve(ref, { id: marie.id, name: "marie" });
  });

  it("stays silent while a person has the conversation and relays both ways, then answers again once released", async () => {
    await startBot();
    const { card, ref } = await escalate();
    await server.clickButton(card.id, "claim", marie);
    await settle();
    const botPostsBefore = postsIn(dm, bot).length;

    const question = server.userPosts(alice, dm, "Qui peut contacter ENSO ?");
    await server.waitFor(() => thread(card).some((p) => p.message.includes("Qui peut contacter ENSO")));
    await settle();
    expect(server.repliesTo(question.id)).toEqual([]);
    expect(postsIn(dm, bot)).toHaveLength(botPostsBefore);
    expect(thread(card).find((p) => p.message.includes("Qui peut contacter ENSO"))?.message).toMatch(/^\*\*alice\*\*/);

    server.userPosts(marie, staffChannel, "Bonjour Alice, toute personne de l'université peut écrire à ENSO.", { rootId: card.id });
    await server.waitFor(() => botSaysToAlice().some((m) => m.includes("toute personne de l'université")));
    expect(botSaysToAlice().at(-1)).toBe("**marie** (ENSO) : Bonjour Alice, toute personne de l'université peut écrire à ENSO.");

    const released = await server.slashCommand(`http://127.0.0.1:${services?.port}/mattermost/command`, COMMAND_TOKEN, marie, staffChannel, `release ${ref}`);
    expect(released.body.text).toContain(ref);
    await settle();
    expect(botSaysToAlice().at(-1)).toContain("rendu cette conversation à l'assistant");
    const again = server.userPosts(alice, dm, "Qui peut contacter ENSO ?");
    const [answer] = await (async () => {
      await server.waitFor(() => server.repliesTo(again.id).length > 0);
      return server.repliesTo(again.id);
    })();
    expect(answer?.message).toMatch(/^>/m);
    services?.desk.resolve(ref, { id: marie.id, name: "marie" });
  });

  it("drops a bot answer being prepared when a person takes the conversation, and gives that question to the person", async () => {
    await startBot();
    const { card, ref } = await escalate();
    // Nobody claimed in time: the conversation is back with the bot, the ticket still open.
    expect(services?.desk.sweep(new Date(Date.now() + 16 * 60_000))).toBeGreaterThanOrEqual(1);
    expect(services?.store.tickets.events(ref).map((e) => e.kind)).toContain("claim_timeout");
    await settle();
    expect(botSaysToAlice().at(-1)).toMatch(/reste ouverte et recevra une réponse par courriel/);

    let open = () => {};
    gate = new Promise((resolve) => (open = resolve));
    const answering = new Promise<void>((resolve) => (entered = resolve));
    const question = server.userPosts(alice, dm, "Comment citer un jeu de données ?");
    // The bot is preparing the answer when the claim lands.
    await answering;
    await server.clickButton(card.id, "claim", paul);
    open();
    await server.waitFor(() => thread(card).some((p) => p.message.includes("Comment citer un jeu de données")));
    await settle();
    expect(server.repliesTo(question.id)).toEqual([]);
    expect(botSaysToAlice().at(-1)).toContain("paul, de l'équipe ENSO, a pris en charge");
    services?.desk.resolve(ref, { id: paul.id, name: "paul" });
  });

  it("resolves: the user is told and asked for feedback, the card shows it, and later staff messages are not relayed", async () => {
    await startBot();
    const { card, ref } = await escalate();
    await server.clickButton(card.id, "claim", marie);
    const resolved = await server.clickButton(card.id, "resolve", marie);
    expect(resolved.status).toBe(200);
    await settle();
    const notice = postsIn(dm, bot).at(-1);
    expect(notice?.message).toBe(`Votre demande ${ref} est marquée comme résolue. La réponse vous a-t-elle aidé ?`);
    expect(buttons(notice).map((b) => b.name)).toEqual(["Oui", "Non"]);
    await server.clickButton(notice?.id ?? "", "useful", alice);
    expect(services?.store.feedbackFor("mattermost", notice?.id ?? "")).toEqual([expect.objectContaining({ value: "useful", question: `ticket ${ref}` })]);
    expect(buttons(server.posts.get(card.id))).toEqual([]);
    expect(String((server.posts.get(card.id)?.props.attachments as { text: string }[])[0]?.text)).toContain("Résolu");
    expect(services?.desk.ticket(ref)?.status).toBe("resolved");

    server.userPosts(marie, staffChannel, "Encore une chose…", { rootId: card.id });
    await server.waitFor(() => thread(card).some((p) => p.user_id === bot.id && p.message.startsWith("Message non transmis")));
    expect(botSaysToAlice().some((m) => m.includes("Encore une chose"))).toBe(false);
    expect(services?.store.tickets.events(ref).map((e) => e.kind)).toEqual(expect.arrayContaining(["opened", "card_posted", "claimed", "resolved"]));
  });

  it("keeps a waiting ticket across a restart: staff claim it afterwards and the user's new messages reach them", async () => {
    await startBot();
    const { card, ref } = await escalate();
    await services?.stop();
    services = undefined;
    const whileDown = server.userPosts(alice, dm, "Je précise : il s'agit d'entretiens enregistrés.");
    const restarted = await startBot();
    await server.waitFor(() => thread(card).some((p) => p.message.includes("entretiens enregistrés")));
    await settle();
    // The first message while waiting is acknowledged, not answered; the next is only relayed.
    expect(server.repliesTo(whileDown.id).map((p) => p.message)).toEqual([`J'ai ajouté ce message à votre demande ${ref} ; un membre de l'équipe vous répondra ici.`]);
    const next = server.userPosts(alice, dm, "Et elles sont en anglais.");
    await server.waitFor(() => thread(card).some((p) => p.message.includes("en anglais")));
    await settle();
    expect(server.repliesTo(next.id)).toEqual([]);
    const claimed = await server.clickButton(card.id, "claim", paul);
    expect(claimed.body.ephemeral_text).toBeUndefined();
    restarted.desk.resolve(ref, { id: paul.id, name: "paul" });
  });

  it("posts the card once the staff channel accepts posts again", async () => {
    await startBot();
    const before = cards().length;
    server.failPostsAfter(1, 2);
    const question = server.userPosts(alice, dm, "Je veux parler à quelqu'un de l'équipe");
    await server.waitFor(() => server.repliesTo(question.id).length > 0);
    await server.waitFor(() => cards().length > before, 15_000);
    await settle();
    expect(cards()).toHaveLength(before + 1);
  });
});

describe("handoff edge cases in Mattermost", () => {
  it("opens one ticket for two quick requests, and counts a reply in a thread of the direct message as the same conversation", async () => {
    await startBot();
    const cardsBefore = cards().length;
    const { card, ref } = await escalate();
    const second = server.userPosts(alice, dm, "Vraiment, je veux parler à quelqu'un");
    await server.waitFor(() => thread(card).some((p) => p.message.includes("Vraiment")));
    await settle();
    // One card, one ticket: the second request joined the first.
    expect(cards()).toHaveLength(cardsBefore + 1);
    expect(server.repliesTo(second.id).map((p) => p.message)).toEqual([expect.stringContaining(ref) as string]);
    expect(server.repliesTo(second.id).every((p) => !p.message.includes("J'ai ouvert"))).toBe(true);

    await server.clickButton(card.id, "claim", marie);
    await settle();
    const claimNotice = postsIn(dm, bot).at(-1) as FakePost;
    const inThread = server.userPosts(alice, dm, "Je réponds dans le fil : qui peut contacter ENSO ?", { rootId: claimNotice.id });
    await server.waitFor(() => thread(card).some((p) => p.message.includes("Je réponds dans le fil")));
    await settle();
    expect(server.repliesTo(inThread.id)).toEqual([]);
  });

  it("relays only the assignee's messages, and lets staff take back a conversation given to the bot", async () => {
    await startBot();
    const { card, ref } = await escalate();
    await server.clickButton(card.id, "claim", marie);
    server.userPosts(paul, staffChannel, "Je peux aider aussi", { rootId: card.id });
    await server.waitFor(() => thread(card).some((p) => p.user_id === bot.id && p.message.includes("marie a la conversation")));
    expect(botSaysToAlice().some((m) => m.includes("Je peux aider aussi"))).toBe(false);

    await server.clickButton(card.id, "release", marie);
    await settle();
    expect(buttons(server.posts.get(card.id)).map((b) => b.name)).toEqual(["Reprendre", "Résolu"]);
    const back = await server.clickButton(card.id, "claim", paul);
    expect(back.body.ephemeral_text).toBeUndefined();
    await settle();
    expect(services?.desk.ticket(ref)?.assignee).toBe(`${paul.id}|paul`);
    expect(services?.desk.hold({ platform: "mattermost", conversationId: dm.id, threadId: "" })).toEqual({ state: "human", ticketRef: ref });
  });

  it("answers a request for a person made with /enso ask by email, without holding a conversation nobody can write back to", async () => {
    await startBot();
    const town = server.addChannel("O", `town-${Date.now()}`, [bot, alice]);
    const reply = await server.slashCommand(`http://127.0.0.1:${services?.port}/mattermost/command`, COMMAND_TOKEN, alice, town, "ask je veux parler à un humain");
    const ref = /ENSO-\d{8}-[0-9A-Z]{5}/.exec(String(reply.body.text))?.[0] ?? "";
    expect(ref).toMatch(TICKET_REFERENCE);
    expect(reply.body.text).toMatch(/par courriel/);
    expect(reply.body.text).not.toMatch(/ici même/);
    await settle();
    expect(services?.desk.ticket(ref)).toMatchObject({ status: "open", chatRoute: false });
    // Staff may take it (to answer by email): no conversation is held, no chat notice is attempted.
    const card = cards().find((c) => c.props.enso_ticket === ref) as FakePost;
    const claimed = await server.clickButton(card.id, "claim", marie);
    expect(claimed.body.ephemeral_text).toBeUndefined();
    await settle();
    expect(services?.store.tickets.deliveries(ref).some((d) => d.sink === "chat:mattermost")).toBe(false);
    const again = await server.slashCommand(`http://127.0.0.1:${services?.port}/mattermost/command`, COMMAND_TOKEN, alice, town, "ask Qui peut contacter ENSO ?");
    expect(again.body.text).toMatch(/^>/m);
  });

  it("lets only the person who asked hand a channel question to staff", async () => {
    await startBot();
    const town = server.addChannel("O", `square-${Date.now()}`, [bot, alice, eve]);
    const question = server.userPosts(alice, town, "@enso Qui peut contacter ENSO ?");
    await server.waitFor(() => server.repliesTo(question.id).length > 0);
    await settle();
    const answer = server.repliesTo(question.id).at(-1) as FakePost;
    if (buttons(answer).length === 0) throw new Error(`no buttons on: ${answer.message.slice(0, 200)}`);
    const before = cards().length;
    const other = await server.clickButton(answer.id, "human", eve);
    expect(other.body.ephemeral_text).toMatch(/Seule la personne qui a posé cette question/);
    const own = await server.clickButton(answer.id, "human", alice);
    expect(String(own.body.ephemeral_text)).toMatch(/J'ai ouvert la demande \*\*ENSO-/);
    await server.waitFor(() => cards().length > before);
    expect(cards().at(-1)?.message).toContain("Qui peut contacter ENSO");
  });
});
