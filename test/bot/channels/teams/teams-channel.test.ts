import { createSign, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAssistant, type Assistant } from "../../../../src/assistant.js";
import { loadConfig, type Config } from "../../../../src/config.js";
import { TICKET_REFERENCE } from "../../../../src/handoff/ticket.js";
import { createLogger } from "../../../../src/logger.js";
import { SqliteStore } from "../../../../src/store/sqlite-store.js";
import { startServices, type RunningServices } from "../../../../src/start-services.js";
import { EmailSink } from "../../../../src/handoff/sinks/email-sink.js";
import { activityText, cardButtons, FakeBotConnector, type SentActivity } from "../../../support/fake-bot-connector.js";
import { freePort } from "../../../support/free-port.js";
import { SmtpCapture } from "../../../support/smtp-capture.js";
import { buttonClick, channelMessage, personalMessage, teamsUser, type TeamsUser } from "../../../support/teams-activities.js";

const quiet = createLogger({ logLevel: "silent", logFormat: "json" });
/** What the bot logs at info level, for the tests that read it. */
const logLines: string[] = [];
const collecting = createLogger({ logLevel: "info", logFormat: "json" }, new Writable({
  write(chunk: Buffer, _encoding, done) {
    logLines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    done();
  },
}));
const STAFF = "19:enso-equipe@thread.tacv2";
const RESEARCH = "19:labo-histoire@thread.tacv2";
const QUESTION = "Un doctorant peut-il avoir accès à ENSO ?";

let dataDir: string;
let assistant: Assistant;
let connector: FakeBotConnector;
let smtp: SmtpCapture;
let services: RunningServices | undefined;
let port: number;
let alice: TeamsUser;
const marie = teamsUser("Marie Curie");
const paul = teamsUser("Paul Langevin");

function configFor(extra: Record<string, string> = {}): Config {
  return loadConfig({ ENSO_DATA_DIR: dataDir, ENSO_HTTP_PORT: String(port), ENSO_HTTP_HOST: "127.0.0.1", TEAMS_ENABLED: "true", TEAMS_STAFF_CHANNEL: STAFF, ...extra });
}

async function startBot(extra: Record<string, string> = {}, log = quiet): Promise<RunningServices> {
  const email = new EmailSink({ smtpUrl: smtp.url, from: "Assistant ENSO <enso-bot@univ-paris1.fr>", to: "enso@univ-paris1.fr" });
  services = await startServices(configFor(extra), assistant, log, { sinks: [email], outbox: { baseDelayMs: 40, maxDelayMs: 200 } });
  return services;
}

/** POSTs an activity to the bot as the Bot Connector does; returns the HTTP status and how long it took. */
async function send(activity: Record<string, unknown> | string, headers: Record<string, string> = {}): Promise<{ status: number; ms: number; body: string }> {
  const started = performance.now();
  // A connection of its own each time: the bot restarts on the same port between tests.
  const payload = typeof activity === "string" ? activity : JSON.stringify(activity);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: "127.0.0.1", port, path: "/api/messages", method: "POST", agent: false, headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload), ...headers } }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, ms: performance.now() - started, body }));
    });
    request.on("error", reject);
    request.end(payload);
  });
}

/** A JWT signed RS256 with a key of our own: the shape of a Bot Framework token, none of its trust. */
function forgedToken(): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${part({ alg: "RS256", typ: "JWT", kid: "forged-key" })}.${part({ iss: "https://api.botframework.com", aud: "4b1d0f2e-0000-4000-8000-000000000000", serviceurl: connector.url, nbf: now - 60, exp: now + 3600 })}`;
  return `${unsigned}.${createSign("RSA-SHA256").update(unsigned).sign(privateKey).toString("base64url")}`;
}

async function settle(): Promise<void> {
  await services?.idle();
  await services?.outbox.idle();
  await services?.idle();
}

const dmOf = (user: TeamsUser) => `a:dm-${user.aadObjectId}`;
const repliesTo = (id: string) => connector.posted().filter((call) => call.op === "reply" && call.activityId === id);
const cardsCreated = () => connector.calls.filter((call) => call.op === "create");
const staffThread = (root: string) => `${STAFF};messageid=${root}`;

/** Alice asks for a person in her one-to-one chat; returns the staff card's thread root and the ticket reference. */
async function escalate(user: TeamsUser, serviceUrl = connector.url): Promise<{ root: string; ref: string; card: SentActivity }> {
  const before = cardsCreated().length;
  const question = personalMessage(serviceUrl, user, "Je voudrais parler à un humain, s'il vous plaît");
  await send(question);
  await connector.waitFor(() => repliesTo(String(question.id)).length > 0 && cardsCreated().length > before);
  await settle();
  const created = cardsCreated().at(-1);
  const card = (created?.body.activity ?? {}) as SentActivity;
  const ref = /ENSO-\d{8}-[0-9A-Z]{5}/.exec(activityText(card))?.[0] ?? "";
  return { root: created?.id ?? "", ref, card };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "enso-teams-"));
  port = await freePort();
  assistant = await createAssistant(loadConfig({ ENSO_DATA_DIR: dataDir }), quiet);
  connector = await new FakeBotConnector().start();
  smtp = await new SmtpCapture().start();
  connector.members.set(marie.id, { id: marie.id, name: marie.name, aadObjectId: marie.aadObjectId });
});

beforeEach(() => {
  alice = teamsUser("Alice Martin");
  connector.members.set(alice.id, { id: alice.id, name: alice.name, email: "alice.martin@univ-paris1.fr", userPrincipalName: "amartin@univ-paris1.fr", aadObjectId: alice.aadObjectId });
});

afterEach(async () => {
  await services?.stop();
  services = undefined;
});

afterAll(async () => {
  await connector.stop();
  await smtp.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the assistant in Microsoft Teams", () => {
  it("answers a one-to-one question with a card: the answer, its sources and the three buttons, after a typing indicator", async () => {
    await startBot();
    const question = personalMessage(connector.url, alice, QUESTION);
    const { status } = await send(question);
    // Acknowledged at once; the answer follows through the connector.
    expect(status).toBe(200);
    await connector.waitFor(() => repliesTo(String(question.id)).length > 0);
    const typing = connector.posted(dmOf(alice), { typing: true }).filter((call) => call.activity.type === "typing");
    expect(typing.length).toBeGreaterThan(0);
    const [reply, ...more] = repliesTo(String(question.id));
    expect(more).toHaveLength(0);
    expect(typing[0]?.at).toBeLessThan(reply?.at ?? 0);
    const card = reply?.activity as SentActivity;
    expect(card.attachments?.[0]?.contentType).toBe("application/vnd.microsoft.card.adaptive");
    const expected = await assistant.ask(QUESTION, []);
    expect(expected.decision).toBe("answered");
    const text = activityText(card);
    expect(text).toContain("Sources");
    for (const citation of expected.citations) expect(text).toContain(citation.title);
    expect(text).toMatch(/ni dans le cadre d.une th[eè]se/);
    const buttons = cardButtons(card);
    expect(buttons.map((b) => b.title)).toEqual(["Utile", "Pas utile", "Parler à un humain"]);
    // The shape the Agents SDK's actionSubmit reads: {type, verb, data}.
    for (const button of buttons) expect(Object.keys(button.data).sort()).toEqual(["data", "type", "verb"]);
  });

  it("greets a person who adds the app, in a one-to-one chat, with what to ask", async () => {
    await startBot();
    const installed = { ...personalMessage(connector.url, alice, ""), type: "conversationUpdate", text: undefined, membersAdded: [{ id: "28:enso-bot-app-id", name: "ENSO" }] };
    expect((await send(installed)).status).toBe(200);
    await connector.waitFor(() => connector.textsIn(dmOf(alice)).length > 0);
    expect(connector.textsIn(dmOf(alice))[0]).toContain("Je suis l'assistant ENSO");
  });

  it("answers an @mention in a team channel in the post's thread, the mention taken out of the question; a post without a mention is left alone", async () => {
    await startBot();
    const unaddressed = channelMessage(connector.url, alice, QUESTION, { channel: RESEARCH });
    await send(unaddressed);
    const mention = channelMessage(connector.url, alice, QUESTION, { channel: RESEARCH, mention: true });
    await send(mention);
    await connector.waitFor(() => repliesTo(String(mention.id)).length > 0);
    await settle();
    expect(repliesTo(String(unaddressed.id))).toHaveLength(0);
    const [reply] = repliesTo(String(mention.id));
    // In the thread the post started.
    expect(reply?.conversationId).toBe(`${RESEARCH};messageid=${String(mention.id)}`);
    // The question without "<at>ENSO</at>", and so the same answer as to the question alone.
    expect(cardButtons(reply?.activity)[0]?.data.data).toMatchObject({ question: QUESTION });
    const expected = await assistant.ask(QUESTION, []);
    expect(activityText(reply?.activity as SentActivity)).toContain(expected.citations[0]?.title ?? "no citation");
    expect(connector.calls.filter((call) => call.conversationId.startsWith(RESEARCH) && call.activityId === unaddressed.id)).toHaveLength(0);
  });

  it("records a click on 'Utile' and redraws the card without its buttons", async () => {
    const { store } = await startBot();
    const question = personalMessage(connector.url, alice, QUESTION);
    await send(question);
    await connector.waitFor(() => repliesTo(String(question.id)).length > 0);
    await settle();
    const [reply] = repliesTo(String(question.id));
    const cardId = reply?.id ?? "";
    const useful = cardButtons(reply?.activity).find((b) => b.title === "Utile");
    const { status } = await send(buttonClick(personalMessage(connector.url, alice, ""), cardId, useful?.data ?? {}));
    expect(status).toBe(200);
    await connector.waitFor(() => connector.calls.some((call) => call.op === "update" && call.activityId === cardId));
    await settle();
    const feedback = store.feedbackFor("teams", cardId);
    expect(feedback.map((f) => [f.userId, f.value, f.question])).toEqual([[alice.aadObjectId, "useful", QUESTION]]);
    const update = connector.calls.find((call) => call.op === "update" && call.activityId === cardId)?.body as SentActivity;
    expect(cardButtons(update)).toHaveLength(0);
    expect(activityText(update)).toContain("votre avis « utile » est enregistré");
    // The answer is still there.
    expect(activityText(update)).toMatch(/ni dans le cadre d.une th[eè]se/);
  });

  it("escalates to the Teams staff channel: a card with 'Prendre en charge', a claim, relays both ways, and 'Résolu' with its question to the user", async () => {
    await startBot();
    const { root, ref, card } = await escalate(alice);
    expect(ref).toMatch(TICKET_REFERENCE);
    // The user was told the reference, in their chat.
    expect(connector.textsIn(dmOf(alice)).join("\n")).toContain(ref);
    // The new thread was started in the staff channel, and the card carries the person's email (from the member record).
    const created = cardsCreated().at(-1);
    expect((created?.body.channelData as { channel: { id: string } }).channel.id).toBe(STAFF);
    expect(activityText(card)).toContain("alice.martin@univ-paris1.fr");
    expect(cardButtons(card).map((b) => b.title)).toEqual(["Prendre en charge", "Résolu"]);
    // The same ticket systems as from Mattermost: here, the mailbox, Reply-To the person.
    await connector.waitFor(() => smtp.mails.some((m) => m.parsed.headers.get("x-enso-ticket") === ref));
    expect(smtp.mails.find((m) => m.parsed.headers.get("x-enso-ticket") === ref)?.parsed.replyTo?.value[0]?.address).toBe("alice.martin@univ-paris1.fr");
    expect(services?.desk.ticket(ref)).toMatchObject({ status: "open", reason: "user_request", user: { id: alice.aadObjectId, name: "Alice Martin", email: "alice.martin@univ-paris1.fr" }, conversation: { platform: "teams", conversationId: dmOf(alice), threadId: "" } });

    // Marie claims it from the card.
    const claim = cardButtons(card).find((b) => b.title === "Prendre en charge");
    await send(buttonClick(channelMessage(connector.url, marie, "", { channel: STAFF, threadId: root }), root, claim?.data ?? {}));
    await connector.waitFor(() => connector.textsIn(dmOf(alice)).some((text) => text.includes("Marie Curie")));
    await settle();
    const redrawn = connector.calls.filter((call) => call.op === "update" && call.activityId === root).at(-1)?.body as SentActivity;
    expect(cardButtons(redrawn).map((b) => b.title)).toEqual(["Rendre au bot", "Résolu"]);

    // Alice writes: it goes to the card's thread, and the bot does not answer it.
    const followUp = personalMessage(connector.url, alice, "Mon projet porte sur des archives sonores de 1950.");
    await send(followUp);
    await connector.waitFor(() => connector.textsIn(staffThread(root)).some((text) => text.includes("archives sonores")));
    await settle();
    expect(repliesTo(String(followUp.id))).toHaveLength(0);

    // Marie answers in the thread, without mentioning the bot: Alice gets it.
    const answer = channelMessage(connector.url, marie, "Bonjour Alice, nous pouvons vous aider pour le dépôt sur Nakala.", { channel: STAFF, threadId: root });
    await send(answer);
    await connector.waitFor(() => connector.textsIn(dmOf(alice)).some((text) => text.includes("dépôt sur Nakala")));

    // Someone else in the thread cannot speak for Marie: told so, nothing relayed.
    const intruder = channelMessage(connector.url, paul, "Je prends la suite ?", { channel: STAFF, threadId: root });
    await send(intruder);
    await connector.waitFor(() => repliesTo(String(intruder.id)).length > 0);
    await settle();
    expect(connector.textsIn(dmOf(alice)).some((text) => text.includes("Je prends la suite"))).toBe(false);

    // Resolved: Alice is told, and asked whether it helped.
    const resolve = cardButtons(redrawn).find((b) => b.title === "Résolu");
    await send(buttonClick(channelMessage(connector.url, marie, "", { channel: STAFF, threadId: root }), root, resolve?.data ?? {}));
    await connector.waitFor(() => connector.posted(dmOf(alice)).some((call) => cardButtons(call.activity).some((b) => b.title === "Oui")));
    await settle();
    expect(services?.desk.ticket(ref)?.status).toBe("resolved");
    // The bot answers Alice again.
    const again = personalMessage(connector.url, alice, QUESTION);
    await send(again);
    await connector.waitFor(() => repliesTo(String(again.id)).length > 0);
  });

  it("delivers a relay and a card redraw the connector refused at first, and logs no words nor address of it", async () => {
    logLines.length = 0;
    await startBot({}, collecting);
    const { root, card } = await escalate(alice);
    const claim = cardButtons(card).find((b) => b.title === "Prendre en charge");
    // The connector is down for the next three calls: the claim's notice, the card redraw, the thread note.
    connector.failNext(3, 502, (request) => request.method !== "GET");
    await send(buttonClick(channelMessage(connector.url, marie, "", { channel: STAFF, threadId: root }), root, claim?.data ?? {}));
    await connector.waitFor(() => connector.textsIn(dmOf(alice)).some((text) => text.includes("Marie Curie")));
    await connector.waitFor(() => connector.calls.some((call) => call.op === "update" && call.activityId === root));
    connector.failNext(1, 502, (request) => request.path.includes(dmOf(alice)));
    await send(channelMessage(connector.url, marie, "Votre adresse alice.martin@univ-paris1.fr est bien notée, je regarde votre dossier Nakala.", { channel: STAFF, threadId: root }));
    await connector.waitFor(() => connector.textsIn(dmOf(alice)).some((text) => text.includes("dossier Nakala")));
    await settle();
    expect(services?.store.tickets.outboxCounts()).toEqual({ pending: 0, failed: 0 });
    expect(connector.textsIn(dmOf(alice)).filter((text) => text.includes("dossier Nakala"))).toHaveLength(1);
    const logged = logLines.join("\n");
    expect(logged).toContain("ticket delivery failed; retrying later");
    expect(logged).not.toMatch(/dossier Nakala|alice\.martin@|Je voudrais parler/);
  });

  it("hands a channel question to staff from the card, for the person who asked only, and relays in the channel thread without mentions", async () => {
    await startBot();
    const cardsBefore = cardsCreated().length;
    const asked = channelMessage(connector.url, alice, QUESTION, { channel: RESEARCH, mention: true });
    await send(asked);
    await connector.waitFor(() => repliesTo(String(asked.id)).length > 0);
    await settle();
    const thread = String(asked.id);
    const inThread = `${RESEARCH};messageid=${thread}`;
    const answerCard = repliesTo(thread)[0];
    const human = cardButtons(answerCard?.activity).find((b) => b.title === "Parler à un humain");
    // Paul cannot hand Alice's question over.
    const byPaul = buttonClick(channelMessage(connector.url, paul, "", { channel: RESEARCH, threadId: thread }), answerCard?.id ?? "", human?.data ?? {});
    await send(byPaul);
    await connector.waitFor(() => repliesTo(String(byPaul.id)).length > 0);
    expect(activityText(repliesTo(String(byPaul.id))[0]?.activity as SentActivity)).toContain("Seule la personne qui a posé cette question");
    expect(cardsCreated()).toHaveLength(cardsBefore);
    // Alice can: a ticket, its reference in the thread, a card for staff.
    const byAlice = buttonClick(channelMessage(connector.url, alice, "", { channel: RESEARCH, threadId: thread }), answerCard?.id ?? "", human?.data ?? {});
    await send(byAlice);
    await connector.waitFor(() => cardsCreated().length > cardsBefore && repliesTo(String(byAlice.id)).length > 0);
    await settle();
    const ref = /ENSO-\d{8}-[0-9A-Z]{5}/.exec(activityText(repliesTo(String(byAlice.id))[0]?.activity as SentActivity))?.[0] ?? "";
    expect(services?.desk.ticket(ref)).toMatchObject({ reason: "user_request", question: QUESTION, conversation: { platform: "teams", conversationId: RESEARCH, threadId: thread } });
    const root = cardsCreated().at(-1)?.id ?? "";
    const claim = cardButtons(cardsCreated().at(-1)?.body.activity as SentActivity).find((b) => b.title === "Prendre en charge");
    await send(buttonClick(channelMessage(connector.url, marie, "", { channel: STAFF, threadId: root }), root, claim?.data ?? {}));
    await connector.waitFor(() => connector.textsIn(inThread).some((text) => text.includes("Marie Curie")));
    // In the held thread, Alice needs no mention; Paul's message is neither relayed nor answered.
    const fromAlice = channelMessage(connector.url, alice, "Il s'agit d'une thèse en histoire contemporaine.", { channel: RESEARCH, threadId: thread });
    const fromPaul = channelMessage(connector.url, paul, "Moi aussi j'ai une question sur les thèses.", { channel: RESEARCH, threadId: thread });
    await send(fromAlice);
    await send(fromPaul);
    await connector.waitFor(() => connector.textsIn(staffThread(root)).some((text) => text.includes("histoire contemporaine")));
    await settle();
    expect(connector.textsIn(staffThread(root)).some((text) => text.includes("Moi aussi"))).toBe(false);
    expect(repliesTo(String(fromPaul.id))).toHaveLength(0);
    // Marie's answer reaches the channel thread.
    await send(channelMessage(connector.url, marie, "Pour une thèse, ENSO ne peut pas intervenir, voyez l'école doctorale.", { channel: STAFF, threadId: root }));
    await connector.waitFor(() => connector.textsIn(inThread).some((text) => text.includes("école doctorale")));
    expect(connector.posted(inThread).find((call) => activityText(call.activity).includes("école doctorale"))?.op).toBe("send");
  });

  it("refuses a staff button clicked outside the staff channel", async () => {
    await startBot();
    const { root, ref, card } = await escalate(alice);
    const claim = cardButtons(card).find((b) => b.title === "Prendre en charge");
    const forged = buttonClick(channelMessage(connector.url, paul, "", { channel: RESEARCH, threadId: root }), root, claim?.data ?? {});
    await send(forged);
    await connector.waitFor(() => repliesTo(String(forged.id)).length > 0);
    await settle();
    expect(activityText(repliesTo(String(forged.id))[0]?.activity as SentActivity)).toContain("Seuls les membres du canal");
    expect(services?.desk.ticket(ref)?.status).toBe("open");
  });

  it("relays a staff reply after a restart, through the conversation reference it stored", async () => {
    await startBot();
    // Alice's chat is served from one region, the staff team's from another: each reference keeps its own.
    const { root, card } = await escalate(alice, `${connector.url}emea/`);
    const claim = cardButtons(card).find((b) => b.title === "Prendre en charge");
    await send(buttonClick(channelMessage(connector.url, marie, "", { channel: STAFF, threadId: root }), root, claim?.data ?? {}));
    await connector.waitFor(() => connector.textsIn(dmOf(alice)).some((text) => text.includes("Marie Curie")));
    await settle();
    await services?.stop();
    services = undefined;

    // A new process: nothing in memory, only the data directory.
    await startBot();
    const answer = channelMessage(`${connector.url}amer/`, marie, "Je reviens vers vous : c'est réglé.", { channel: STAFF, threadId: root });
    await send(answer);
    await connector.waitFor(() => connector.textsIn(dmOf(alice)).some((text) => text.includes("c'est réglé")));
    const relay = connector.posted(dmOf(alice)).find((call) => activityText(call.activity).includes("c'est réglé"));
    // A proactive message: sent to the conversation, not as a reply to one of Alice's messages,
    // through the service URL stored for her chat before the restart.
    expect(relay?.op).toBe("send");
    expect(relay?.region).toBe("emea");
  });

  it("answers, after a restart, a question acknowledged but not answered before the stop", async () => {
    const question = personalMessage(connector.url, alice, QUESTION);
    // What the channel records when it acknowledges a question, left behind by a crash.
    const store = new SqliteStore(join(dataDir, "enso.sqlite"));
    // One stored copy that cannot be read any more (a truncated write): dropped, the others answered.
    store.addPending("teams", dmOf(alice), "1700000000000", Date.now() - 1000, "{\"type\": \"message\", \"conversation\": ");
    store.addPending("teams", dmOf(alice), String(question.id), Date.now(), JSON.stringify(question));
    store.close();
    await startBot();
    await connector.waitFor(() => repliesTo(String(question.id)).length > 0);
    await settle();
    expect(repliesTo(String(question.id))).toHaveLength(1);
    // Teams sending it again now does not get a second answer.
    await send(question);
    await settle();
    expect(repliesTo(String(question.id))).toHaveLength(1);
  });

  it("gives an empty message a short reply and refuses a body that is not JSON", async () => {
    await startBot();
    const empty = personalMessage(connector.url, alice, "   ");
    await send(empty);
    await connector.waitFor(() => repliesTo(String(empty.id)).length > 0);
    expect(activityText(repliesTo(String(empty.id))[0]?.activity as SentActivity).length).toBeGreaterThan(10);
    const response = await send("{not json");
    expect(response.status).toBe(400);
  });

  it("with an app id, refuses a request without a valid Bot Framework token (401) and sends nothing", async () => {
    await startBot({ TEAMS_APP_ID: "0f3c2a8e-6b7d-4e21-9a55-1c2d3e4f5a6b", TEAMS_APP_PASSWORD: "not-a-real-secret", TEAMS_TENANT_ID: "7c9a1c2e-4c1b-4b8e-9d3a-2f1e0b6a5d41" });
    const before = connector.calls.length;
    const unsigned = await send(personalMessage(connector.url, alice, QUESTION));
    expect(unsigned.status).toBe(401);
    const malformed = await send(personalMessage(connector.url, alice, QUESTION), { Authorization: "Basic YWxpY2U6c2VjcmV0" });
    expect(malformed.status).toBe(401);
    // A well-formed token, signed with a key Microsoft never published, for another bot.
    const forged = await send(personalMessage(connector.url, alice, QUESTION), { Authorization: `Bearer ${forgedToken()}` });
    expect(forged.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(connector.calls.length).toBe(before);
  });
});
