import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAssistant } from "../../../../src/assistant.js";
import { loadConfig } from "../../../../src/config.js";
import { createLogger } from "../../../../src/logger.js";
import { startServices, type RunningServices } from "../../../../src/start-services.js";
import { activityText, cardButtons, FakeBotConnector, type SentActivity } from "../../../support/fake-bot-connector.js";
import { FakeMattermostServer, type FakeChannel, type FakeUser } from "../../../support/fake-mattermost-server.js";
import { FakeModelServer } from "../../../support/fake-model-server.js";
import { buttonClick, channelMessage, personalMessage, teamsUser } from "../../../support/teams-activities.js";

const quiet = createLogger({ logLevel: "silent", logFormat: "json" });
const TEAMS_STAFF = "19:enso-equipe@thread.tacv2";

/**
 * The words of a reply, whatever the platform's markup (quote marks, bold and list markers left
 * out); a ticket's reference and the person's address, which differ from one person to the next, as
 * placeholders.
 */
const words = (text: string) =>
  text
    .replace(/^>\s?/gmu, "")
    .replace(/[*_]/gu, "")
    .replace(/ENSO-\d{8}-[0-9A-Z]{5}/gu, "REF")
    .replace(/[\w.+-]+@univ-paris1\.fr/gu, (address) => (address.startsWith("enso@") ? address : "EMAIL"))
    .replace(/\s+/gu, " ")
    .trim();

interface Setup {
  dataDir: string;
  connector: FakeBotConnector;
  mm: FakeMattermostServer;
  bot: FakeUser;
  services: RunningServices;
  model?: FakeModelServer;
}

async function setUp(withModel: boolean, staff: { mattermost?: boolean; teams?: boolean } = {}): Promise<Setup> {
  const dataDir = mkdtempSync(join(tmpdir(), "enso-teams-mm-"));
  const connector = await new FakeBotConnector().start();
  const mm = await new FakeMattermostServer().start();
  const model = withModel ? await new FakeModelServer().start() : undefined;
  const bot = mm.addUser("enso", true);
  if (staff.mattermost) mm.addChannel("O", "enso-equipe", [bot, mm.addUser("marie")]);
  const config = loadConfig({
    ...(staff.mattermost ? { MATTERMOST_STAFF_CHANNEL: "paris1/enso-equipe" } : {}),
    ...(staff.teams ? { TEAMS_STAFF_CHANNEL: TEAMS_STAFF } : {}),
    ENSO_DATA_DIR: dataDir,
    ENSO_HTTP_PORT: "0",
    ENSO_HTTP_HOST: "127.0.0.1",
    MATTERMOST_URL: mm.url,
    MATTERMOST_TOKEN: bot.token,
    TEAMS_ENABLED: "true",
    ...(model ? { LLM_PROVIDER: "openai-compatible", LLM_MODEL: "test-model", LLM_BASE_URL: `${model.url}/v1` } : {}),
  });
  const services = await startServices(config, await createAssistant(config, quiet), quiet, { sinks: [] });
  await mm.waitFor(() => mm.openSockets > 0);
  return { dataDir, connector, mm, bot, services, ...(model ? { model } : {}) };
}

async function tearDown(setup: Setup | undefined): Promise<void> {
  if (!setup) return;
  await setup.services.stop();
  await setup.connector.stop();
  await setup.mm.stop();
  await setup.model?.stop();
  rmSync(setup.dataDir, { recursive: true, force: true });
}

async function post(setup: Setup, activity: Record<string, unknown>): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${setup.services.port}/api/messages`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(activity) });
  await response.text();
  return response.status;
}

describe("the same assistant in Teams and in Mattermost", () => {
  let setup: Setup | undefined;
  beforeAll(async () => {
    setup = await setUp(false);
  });
  afterAll(async () => tearDown(setup));

  it.each(["Un doctorant peut-il avoir accès à ENSO ?", "How do I choose a licence for my research data?", "Quelle est la recette de la blanquette de veau ?"])("gives a researcher in Teams and one in Mattermost the same answer to %j", async (question) => {
    const { connector, mm, bot } = setup as Setup;
    const alice = mm.addUser(`alice${Math.random().toString(36).slice(2, 8)}`);
    const dm = mm.addChannel("D", `${bot.id}__${alice.id}`, [bot, alice]) as FakeChannel;
    const asked = mm.userPosts(alice, dm, question);
    const bob = teamsUser("Bob Dupont");
    connector.members.set(bob.id, { id: bob.id, name: bob.name, email: "bob.dupont@univ-paris1.fr", aadObjectId: bob.aadObjectId });
    const activity = personalMessage(connector.url, bob, question);
    expect(await post(setup as Setup, activity)).toBe(200);
    await mm.waitFor(() => mm.repliesTo(asked.id).length > 0);
    await connector.waitFor(() => connector.posted().some((call) => call.activityId === activity.id));
    const inMattermost = mm.repliesTo(asked.id).map((p) => p.message).join("\n");
    const inTeams = connector.posted().filter((call) => call.activityId === activity.id).map((call) => call.activity as SentActivity);
    expect(inTeams).toHaveLength(1);
    const teamsText = activityText(inTeams[0] as SentActivity);
    // Teams' card lists the sources again under the answer: the answer's own words come first, the same.
    expect(words(teamsText).slice(0, words(inMattermost).length)).toBe(words(inMattermost));
    expect(words(inMattermost).length).toBeGreaterThan(40);
  });

  it("tells a researcher whose question belongs to another service which one, and opens a ticket all the same", async () => {
    const { mm, bot } = setup as Setup;
    const alice = mm.addUser(`alice${Math.random().toString(36).slice(2, 8)}`);
    const dm = mm.addChannel("D", `${bot.id}__${alice.id}`, [bot, alice]) as FakeChannel;
    const asked = mm.userPosts(alice, dm, "Un collègue brésilien arrive en septembre, comment obtient-il son titre de séjour ?");
    await mm.waitFor(() => mm.repliesTo(asked.id).length > 0);
    const reply = words(mm.repliesTo(asked.id).map((p) => p.message).join("\n"));
    expect(reply).toMatch(/^Cette question semble relever d'un autre service de l'université \(relations internationales/);
    expect(reply).toContain("REF");
  });
});

describe("staff in Mattermost and in Teams, one desk", () => {
  let setup: Setup | undefined;
  beforeAll(async () => {
    setup = await setUp(false, { mattermost: true, teams: true });
  });
  afterAll(async () => tearDown(setup));

  it("shows a Teams ticket in both staff channels; Mattermost staff take it, answer the Teams user, and the Teams card follows", async () => {
    const { connector, mm, bot, services } = setup as Setup;
    const marie = [...mm.users.values()].find((u) => u.username === "marie") as FakeUser;
    const staffChannel = [...mm.channels.values()].find((c) => c.name === "enso-equipe") as FakeChannel;
    const alice = teamsUser("Alice Martin");
    const dm = `a:dm-${alice.aadObjectId}`;
    await post(setup as Setup, personalMessage(connector.url, alice, "Je voudrais parler à un humain"));
    const mmCards = () => mm.postsBy(bot, staffChannel).filter((p) => !p.root_id && p.props.enso_ticket);
    await mm.waitFor(() => mmCards().length > 0 && connector.calls.some((call) => call.op === "create"));
    await services.outbox.idle();
    const card = mmCards()[0];
    const ref = String(card?.props.enso_ticket);
    const teamsRoot = connector.calls.find((call) => call.op === "create")?.id ?? "";
    // Marie, in Mattermost, takes the Teams user's ticket and answers in the card's thread.
    await mm.clickButton(card?.id ?? "", "claim", marie);
    mm.userPosts(marie, staffChannel, "Bonjour, je m'occupe de votre demande.", { rootId: card?.id ?? "" });
    await connector.waitFor(() => connector.textsIn(dm).some((text) => text.includes("je m'occupe de votre demande")));
    await services.outbox.idle();
    expect(services.desk.ticket(ref)?.status).toBe("claimed");
    // The Teams staff card says who has it, and offers no second claim.
    const teamsCard = connector.calls.filter((call) => call.op === "update" && call.activityId === teamsRoot).at(-1)?.body as SentActivity;
    expect(activityText(teamsCard)).toContain("Pris en charge par marie");
    expect(cardButtons(teamsCard).map((b) => b.title)).toEqual(["Rendre au bot", "Résolu"]);
    // A claim from Teams now is told who has it.
    const paul = teamsUser("Paul Langevin");
    const lateClaim = buttonClick(channelMessage(connector.url, paul, "", { channel: TEAMS_STAFF, threadId: teamsRoot }), teamsRoot, { type: "Action.Submit", verb: "enso.staff", data: { action: "claim", ticket: ref } });
    await post(setup as Setup, lateClaim);
    await connector.waitFor(() => connector.posted().some((call) => call.activityId === lateClaim.id));
    expect(activityText(connector.posted().find((call) => call.activityId === lateClaim.id)?.activity as SentActivity)).toContain("Déjà pris en charge par marie");
  });
});

describe("a model's answer in Teams", () => {
  let setup: Setup | undefined;
  beforeAll(async () => {
    setup = await setUp(true);
  });
  afterAll(async () => tearDown(setup));

  it("streams in a one-to-one chat (Teams' streaming protocol), then ends with the card, its sources and buttons", async () => {
    const { connector, model } = setup as Setup;
    const answer = "Toute personne de l'université peut écrire à ENSO [1]. Chercheuses, chercheurs, doctorantes, doctorants et personnels d'appui le font pour un projet de recherche, ses données ou sa diffusion [1].";
    model?.next({ text: answer, chunkDelayMs: 60 });
    const alice = teamsUser("Alice Martin");
    const question = personalMessage(connector.url, alice, "Qui peut contacter ENSO ?");
    await post(setup as Setup, question);
    const conversation = String((question.conversation as { id: string }).id);
    const stream = () => connector.posted(conversation, { typing: true }).filter((call) => (call.activity.entities ?? []).some((e) => e.type === "streaminfo"));
    await connector.waitFor(() => stream().some((call) => (call.activity.entities ?? []).some((e) => e.streamType === "final")), 20_000);
    await setup?.services.idle();
    const calls = stream();
    const chunks = calls.filter((call) => call.activity.type === "typing" && (call.activity.entities ?? []).some((e) => e.streamType === "streaming"));
    expect(chunks.length).toBeGreaterThanOrEqual(1);
    // Each update carries the text so far, and the stream id Teams gave the first.
    expect(answer.startsWith(String(chunks[0]?.activity.text).slice(0, 20))).toBe(true);
    const streamId = chunks[0]?.id;
    for (const chunk of chunks.slice(1)) expect((chunk.activity.entities ?? []).find((e) => e.type === "streaminfo")?.streamId).toBe(streamId);
    const final = calls.at(-1)?.activity as SentActivity;
    expect(final.type).toBe("message");
    expect(final.entities?.find((e) => e.type === "streaminfo")?.streamId).toBe(streamId);
    expect(activityText(final)).toContain("[1]");
    expect(cardButtons(final).map((b) => b.title)).toEqual(["Utile", "Pas utile", "Parler à un humain"]);
    // Nothing else was posted as an answer.
    expect(connector.posted(conversation).filter((call) => call.activity.type === "message")).toHaveLength(1);
  });

  it.each([
    ["an update in the middle", "streaming", 2],
    ["its final message", "final", 1],
  ] as const)("sends the answer as a plain reply when Teams refuses %s of the stream", async (_what, streamType, nth) => {
    const { connector, model } = setup as Setup;
    model?.next({ text: "Toute personne de l'université peut écrire à ENSO [1]. Chercheuses, chercheurs, doctorantes, doctorants et personnels d'appui le font pour un projet de recherche, ses données ou sa diffusion [1].", chunkDelayMs: 60 });
    const alice = teamsUser("Alice Martin");
    const question = personalMessage(connector.url, alice, "Qui peut contacter ENSO ?");
    const conversation = String((question.conversation as { id: string }).id);
    let seen = 0;
    let refused = false;
    connector.failNext(1, 403, (request) => {
      const hit = request.path.includes(conversation) && ((request.body.entities ?? []) as { streamType?: string }[]).some((e) => e.streamType === streamType);
      if (hit) seen++;
      refused ||= hit && seen === nth;
      return hit && seen === nth;
    });
    await post(setup as Setup, question);
    await connector.waitFor(() => refused && connector.posted(conversation).some((call) => call.activity.type === "message" && !(call.activity.entities ?? []).some((e) => e.type === "streaminfo")), 20_000);
    await setup?.services.idle();
    // The refused stream left no message; the answer came whole, as a plain reply, once.
    const messages = connector.posted(conversation).filter((call) => call.activity.type === "message");
    expect(messages).toHaveLength(1);
    expect(cardButtons(messages[0]?.activity).map((b) => b.title)).toEqual(["Utile", "Pas utile", "Parler à un humain"]);
    expect(activityText(messages[0]?.activity as SentActivity)).toContain("[1]");
  });

  it("does not stream in a channel, where Teams cannot: one reply, the card", async () => {
    const { connector, model } = setup as Setup;
    model?.next({ text: "Toute personne de l'université peut écrire à ENSO [1]. Elle décrit son projet [1].", chunkDelayMs: 40 });
    const alice = teamsUser("Alice Martin");
    const question = channelMessage(connector.url, alice, "Qui peut contacter ENSO ?", { channel: "19:labo@thread.tacv2", mention: true });
    await post(setup as Setup, question);
    await connector.waitFor(() => connector.posted().some((call) => call.activityId === question.id), 20_000);
    await setup?.services.idle();
    const sent = connector.calls.filter((call) => call.conversationId === String((question.conversation as { id: string }).id));
    expect(sent.filter((call) => ((call.body.entities ?? []) as { type: string }[]).some((e) => e.type === "streaminfo"))).toEqual([]);
    expect(sent.filter((call) => (call.body as SentActivity).type === "message")).toHaveLength(1);
  });
});
