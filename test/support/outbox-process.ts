/**
 * A bot process reduced to its outbox, for the crash test: delivers what the SQLite file holds to a
 * GLPI, until it is killed. Usage: node outbox-process.js <db> <glpi url> <app token> <user token>
 */
import { Outbox } from "../../src/handoff/outbox.js";
import { GlpiSink } from "../../src/handoff/sinks/glpi-sink.js";
import { createLogger } from "../../src/logger.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";

const [db = "", url = "", appToken = "", userToken = ""] = process.argv.slice(2);
const store = new SqliteStore(db);
const outbox = new Outbox(store.tickets, [new GlpiSink({ url, appToken, userToken })], createLogger({ logLevel: "silent", logFormat: "json" }));
outbox.start();
process.stdout.write("started\n");
setInterval(() => outbox.kick(), 50);
