// An external MCP client that declares URL-mode elicitation only (not forms), as some hosts
// do. It launches a server command over stdio, adds a URL, asks to delete it and, when the
// server sends the human to a page (elicitation/create, mode "url"), plays the human: opens
// the page, reads its form and presses a button, then tells the server it opened the page.
// Prints one JSON object on stdout.
//
// usage: node drive_url_elicitation.mjs <approve|decline|refuse> <linkedin-url> -- <command> [args...]
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const argv = process.argv.slice(2);
const split = argv.indexOf("--");
if (split !== 2 || argv.length < 4) {
  console.error("usage: node drive_url_elicitation.mjs <approve|decline|refuse> <url> -- <command> [args...]");
  process.exit(2);
}
const [choice, linkedinUrl] = argv;
const [command, ...args] = argv.slice(split + 1);

const asked = [];
const client = new Client(
  { name: "dnc-kit-url-elicitation-client", version: "1.0.0" },
  { capabilities: { elicitation: { url: {} } } },
);
client.setRequestHandler(ElicitRequestSchema, async (request) => {
  const params = request.params;
  asked.push({ mode: params.mode, url: params.url ?? null, elicitationId: params.elicitationId ?? null });
  if (params.mode !== "url" || choice === "refuse") {
    return { action: "decline" };
  }
  const page = await fetch(params.url);
  const html = await page.text();
  const secret = /name="secret" value="([^"]+)"/.exec(html)?.[1];
  const decided = await fetch(params.url, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: new URL(params.url).origin,
    },
    body: new URLSearchParams({ secret: secret ?? "", decision: choice }).toString(),
  });
  asked.push({ page: page.status, decided: decided.status });
  return { action: "accept" };
});

const transport = new StdioClientTransport({ command, args, env: { ...process.env }, stderr: "inherit" });
try {
  await client.connect(transport);
  const added = await client.callTool({ name: "dnc_add", arguments: { url: linkedinUrl } });
  const deleted = await client.callTool({ name: "dnc_delete", arguments: { url: linkedinUrl } });
  const checked = await client.callTool({ name: "dnc_check", arguments: { url: linkedinUrl } });
  const report = {
    asked,
    added: added.structuredContent ?? null,
    deleted: { isError: Boolean(deleted.isError), structuredContent: deleted.structuredContent ?? null, content: deleted.content },
    checked: checked.structuredContent ?? null,
  };
  process.stdout.write(JSON.stringify(report) + "\n");
} finally {
  await client.close();
}
