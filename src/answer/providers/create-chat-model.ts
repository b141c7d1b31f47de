import { ChatAnthropic } from "@langchain/anthropic";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { ChatMistralAI } from "@langchain/mistralai";
import { ChatOllama } from "@langchain/ollama";
import { AzureChatOpenAI, ChatOpenAI } from "@langchain/openai";
import type { LlmConfig } from "../../config.js";

/**
 * LangChain's chat model for the configured provider. Retries are left to the grounded answerer
 * (its backoff and circuit breaker see every provider the same way), so the clients retry none.
 *
 * openai-compatible covers vLLM, llama.cpp's server, LM Studio, Ollama's /v1, Albert, OpenAI and
 * Mistral's endpoint: anything that speaks POST {base}/chat/completions.
 */
export function createChatModel(config: LlmConfig): BaseChatModel {
  const common = { temperature: config.temperature, maxRetries: 0 };
  switch (config.provider) {
    case "openai-compatible":
      return new ChatOpenAI({
        ...common,
        model: config.model,
        maxTokens: config.maxTokens,
        timeout: config.timeoutMs,
        // Local servers need no key, but the client insists on one.
        apiKey: config.apiKey ?? "not-needed",
        configuration: { baseURL: config.baseUrl },
        streamUsage: false,
      });
    case "azure-openai":
      return new AzureChatOpenAI({
        ...common,
        maxTokens: config.maxTokens,
        timeout: config.timeoutMs,
        azureOpenAIApiKey: config.apiKey ?? "",
        azureOpenAIEndpoint: config.baseUrl ?? "",
        azureOpenAIApiDeploymentName: config.model,
        azureOpenAIApiVersion: config.apiVersion,
      });
    case "ollama":
      return new ChatOllama({ ...common, model: config.model, baseUrl: config.baseUrl ?? "http://127.0.0.1:11434", numPredict: config.maxTokens });
    case "anthropic":
      return new ChatAnthropic({ ...common, model: config.model, apiKey: config.apiKey ?? "", maxTokens: config.maxTokens, ...(config.baseUrl ? { anthropicApiUrl: config.baseUrl } : {}) });
    case "mistral":
      return new ChatMistralAI({ ...common, model: config.model, apiKey: config.apiKey ?? "", maxTokens: config.maxTokens, ...(config.baseUrl ? { serverURL: config.baseUrl } : {}) });
  }
}
