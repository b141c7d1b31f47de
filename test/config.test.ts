import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { EnsoError } from "../src/errors.js";

const packageCorpus = fileURLToPath(new URL("../corpus", import.meta.url));

function configErrorOf(env: NodeJS.ProcessEnv): EnsoError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof EnsoError) return error;
    throw error;
  }
  throw new Error("expected loadConfig to throw an EnsoError");
}

describe("loadConfig", () => {
  it("uses the documented defaults when nothing is set", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      dataDir: resolve("./data"),
      corpusDir: packageCorpus,
      logLevel: "info",
      logFormat: "auto",
      contactEmail: "enso@univ-paris1.fr",
      requestFormUrl: "https://recherche.pantheonsorbonne.fr",
      maxQuestionChars: 2000,
    });
    // Tuned values: checked against their documented ranges, not pinned.
    expect(config.answerThreshold).toBeGreaterThan(0);
    expect(config.answerThreshold).toBeLessThan(1);
    expect(Number.isInteger(config.searchK) && config.searchK >= 1 && config.searchK <= 50).toBe(true);
    expect(Number.isInteger(config.hnswEf) && config.hnswEf >= 10 && config.hnswEf <= 2000).toBe(true);
  });

  it("reads the values that are set, turning numbers into numbers and folders into absolute paths", () => {
    const config = loadConfig({ ENSO_DATA_DIR: "var/enso", ENSO_CORPUS_DIR: "/srv/corpus", ENSO_ANSWER_THRESHOLD: "0.7", ENSO_SEARCH_K: "12", LOG_LEVEL: "debug" });
    expect(config).toMatchObject({ dataDir: resolve("var/enso"), corpusDir: "/srv/corpus", answerThreshold: 0.7, searchK: 12, logLevel: "debug" });
  });

  it("treats empty and blank values as unset", () => {
    expect(loadConfig({ ENSO_DATA_DIR: "", LOG_LEVEL: "  ", ENSO_ANSWER_THRESHOLD: "", ENSO_CONTACT_EMAIL: "" })).toEqual(loadConfig({}));
  });

  it("ignores variables that are not the assistant's", () => {
    expect(loadConfig({ HOME: "/home/someone", ENSO_UNKNOWN: "x" })).toEqual(loadConfig({}));
  });

  it.each([
    ["ENSO_ANSWER_THRESHOLD", "2", "between 0 and 1"],
    ["LOG_LEVEL", "loud", "one of fatal, error, warn, info, debug, trace, silent"],
    ["ENSO_CONTACT_EMAIL", "nope", "address"],
    ["ENSO_REQUEST_FORM_URL", "recherche.pantheonsorbonne.fr", "https://"],
    ["ENSO_SEARCH_K", "many", "between 1 and 50"],
  ])("refuses %s=%s, naming the variable and what it expects", (name, value, expected) => {
    const error = configErrorOf({ [name]: value });
    expect(error.code).toBe("config");
    expect(error.message).toContain(`${name}=${JSON.stringify(value)}`);
    expect(error.message).toContain(expected);
    expect(error.fix).not.toBe("");
  });

  it("reads the ticket systems: none by default, each one when its variables are set", () => {
    expect(loadConfig({}).handoff).toEqual({ site: "univ-paris1", claimTimeoutMs: 15 * 60_000, outbox: { maxAttempts: 16, baseDelayMs: 5000 } });
    const handoff = loadConfig({
      SMTP_URL: "smtp://bot:secret@smtp.univ-paris1.fr:587",
      ENSO_TICKET_EMAIL_FROM: "Assistant ENSO <enso-bot@univ-paris1.fr>",
      RT_URL: "https://rt.univ-paris1.fr",
      RT_TOKEN: "1-23-0123456789abcdef",
      ENSO_STAFF_HOURS: "mon-fri 09:00-17:30",
    }).handoff;
    expect(handoff.email).toEqual({ smtpUrl: "smtp://bot:secret@smtp.univ-paris1.fr:587", from: "Assistant ENSO <enso-bot@univ-paris1.fr>", to: "enso@univ-paris1.fr" });
    expect(handoff.rt).toEqual({ url: "https://rt.univ-paris1.fr", token: "1-23-0123456789abcdef", queue: "General" });
    expect(handoff.staffHours?.timeZone).toBe("Europe/Paris");
  });

  it.each([
    [{ RT_URL: "https://rt.univ-paris1.fr" }, "RT_TOKEN"],
    [{ GLPI_URL: "https://glpi.univ-paris1.fr/apirest.php", GLPI_APP_TOKEN: "app-token-123" }, "GLPI_USER_TOKEN"],
    [{ SMTP_URL: "smtp://smtp.univ-paris1.fr" }, "ENSO_TICKET_EMAIL_FROM"],
    [{ ENSO_STAFF_HOURS: "weekdays" }, "ENSO_STAFF_HOURS"],
    [{ MATTERMOST_URL: "https://mm.univ-paris1.fr", MATTERMOST_TOKEN: "a-token-of-26-characters-x", MATTERMOST_STAFF_CHANNEL: "equipe enso" }, "MATTERMOST_STAFF_CHANNEL"],
  ])("refuses a half-configured ticket system or staff channel (%o), naming what is missing", (env, missing) => {
    const error = configErrorOf(env);
    expect(error.code).toBe("config");
    expect(`${error.message} ${error.fix}`).toContain(missing);
  });

  it("reads Teams: off by default, on with an app id (authenticated) or TEAMS_ENABLED on a developer's machine", () => {
    expect(loadConfig({}).teams).toBeUndefined();
    const secured = loadConfig({ TEAMS_APP_ID: "0f3c2a8e-6b7d-4e21-9a55-1c2d3e4f5a6b", TEAMS_APP_PASSWORD: "a-client-secret", TEAMS_TENANT_ID: "7c9a1c2e-4c1b-4b8e-9d3a-2f1e0b6a5d41", TEAMS_STAFF_CHANNEL: "19:abc123@thread.tacv2" });
    expect(secured.teams).toMatchObject({ appId: "0f3c2a8e-6b7d-4e21-9a55-1c2d3e4f5a6b", staffChannel: "19:abc123@thread.tacv2", serviceUrl: "https://smba.trafficmanager.net/teams/" });
    expect(loadConfig({ TEAMS_ENABLED: "true" }).teams?.appId).toBeUndefined();
    expect(loadConfig({ TEAMS_ENABLED: "false", TEAMS_APP_ID: "0f3c2a8e-6b7d-4e21-9a55-1c2d3e4f5a6b" }).teams).toBeUndefined();
  });

  it.each([
    [{ TEAMS_ENABLED: "true", NODE_ENV: "production" }, "TEAMS_APP_ID"],
    [{ TEAMS_APP_ID: "0f3c2a8e-6b7d-4e21-9a55-1c2d3e4f5a6b", TEAMS_TENANT_ID: "7c9a1c2e-4c1b-4b8e-9d3a-2f1e0b6a5d41" }, "TEAMS_APP_PASSWORD"],
    [{ TEAMS_APP_ID: "0f3c2a8e-6b7d-4e21-9a55-1c2d3e4f5a6b", TEAMS_APP_PASSWORD: "a-client-secret" }, "TEAMS_TENANT_ID"],
    [{ TEAMS_ENABLED: "true", TEAMS_STAFF_CHANNEL: "enso-equipe" }, "TEAMS_STAFF_CHANNEL"],
  ])("refuses Teams without what it needs (%o), naming it: in production, no start without credentials", (env, missing) => {
    const error = configErrorOf(env);
    expect(error.code).toBe("config");
    expect(`${error.message} ${error.fix}`).toContain(missing);
  });

  it("lists every wrong variable in one error", () => {
    const error = configErrorOf({ ENSO_ANSWER_THRESHOLD: "2", LOG_LEVEL: "loud", ENSO_CONTACT_EMAIL: "nope" });
    for (const name of ["ENSO_ANSWER_THRESHOLD", "LOG_LEVEL", "ENSO_CONTACT_EMAIL"]) expect(error.message).toContain(name);
  });

  it("returns a configuration that cannot be changed afterwards", () => {
    const config = loadConfig({ ENSO_ANSWER_THRESHOLD: "0.4" });
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { answerThreshold: number }).answerThreshold = 0;
    }).toThrow(TypeError);
    expect(config.answerThreshold).toBe(0.4);
  });
});
