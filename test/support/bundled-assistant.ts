import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { createAssistant, type Assistant } from "../../src/assistant.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";

/**
 * The offline assistant on the bundled corpus, its index in a folder of its own made before the
 * tests of the calling file and removed after them. Call at the top of a describe block.
 */
export function bundledAssistant(prefix: string): () => Assistant {
  let assistant: Assistant | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  beforeAll(async () => {
    const config = loadConfig({ ENSO_DATA_DIR: dataDir, LOG_LEVEL: "silent" });
    assistant = await createAssistant(config, createLogger(config));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  return () => {
    if (!assistant) throw new Error("the assistant is made before the tests run");
    return assistant;
  };
}
