// An external MCP client for the test run: the official TypeScript SDK launches a server
// command over stdio, lists its tools and calls one; prints one JSON object on stdout.
//
// usage: node drive_stdio.mjs <tool> <json-arguments> -- <command> [args...]
// The server's environment is this process's environment.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const argv = process.argv.slice(2);
const split = argv.indexOf("--");
if (split !== 2 || argv.length < 4) {
  console.error("usage: node drive_stdio.mjs <tool> <json-arguments> -- <command> [args...]");
  process.exit(2);
}
const [toolName, rawArguments] = argv;
const [command, ...args] = argv.slice(split + 1);

const transport = new StdioClientTransport({
  command,
  args,
  env: { ...process.env },
  stderr: "inherit",
});
const client = new Client({ name: "dnc-kit-node-test-client", version: "1.0.0" });
try {
  await client.connect(transport);
  const tools = await client.listTools();
  const result = await client.callTool({ name: toolName, arguments: JSON.parse(rawArguments) });
  const report = {
    server: client.getServerVersion(),
    tools: tools.tools.map((tool) => ({
      name: tool.name,
      annotations: tool.annotations ?? null,
      hasOutputSchema: Boolean(tool.outputSchema),
    })),
    call: {
      isError: Boolean(result.isError),
      structuredContent: result.structuredContent ?? null,
      content: result.content,
    },
  };
  process.stdout.write(JSON.stringify(report) + "\n");
} finally {
  await client.close();
}
