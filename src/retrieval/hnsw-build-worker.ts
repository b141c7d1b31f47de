/**
 * Builds the HNSW graph in a thread of its own (see VectorIndexBuilder): vectors arrive in batches
 * as the main thread embeds them, and the finished graph is written to the file the builder
 * names, which it then reads back (a native index cannot cross threads any other way).
 */
import { parentPort, workerData } from "node:worker_threads";
import { newGraph } from "./vector-index.js";

export interface GraphWorkerData {
  readonly dimensions: number;
  readonly capacity: number;
  readonly m: number;
  readonly efConstruction: number;
  readonly path: string;
}

/** `vectors` holds consecutive vectors for labels firstLabel, firstLabel + 1, ... */
export type GraphWorkerMessage = { readonly type: "add"; readonly firstLabel: number; readonly vectors: Float32Array } | { readonly type: "finish" };

export type GraphWorkerReply = { readonly type: "written"; readonly count: number } | { readonly type: "failed"; readonly message: string };

const port = parentPort;
if (port) {
  const settings = workerData as GraphWorkerData;
  const index = newGraph(settings, settings.capacity);
  let failure: GraphWorkerReply | undefined;
  port.on("message", (message: GraphWorkerMessage) => {
    if (failure) {
      // The builder learnt of it when it happened; it is told again when it asks for the graph.
      if (message.type === "finish") port.postMessage(failure);
      return;
    }
    try {
      if (message.type === "add") {
        const d = settings.dimensions;
        const count = message.vectors.length / d;
        for (let i = 0; i < count; i++) index.addPoint(Array.from(message.vectors.subarray(i * d, (i + 1) * d)), message.firstLabel + i);
        return;
      }
      index.writeIndexSync(settings.path);
      port.postMessage({ type: "written", count: index.getCurrentCount() } satisfies GraphWorkerReply);
    } catch (error) {
      failure = { type: "failed", message: error instanceof Error ? error.message : String(error) };
      port.postMessage(failure);
    }
  });
}
